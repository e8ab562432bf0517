// The release binary embeds ui/dist (files.rs), so a fresh checkout builds it first.
fn main() {
    build_support::ensure_ui_built();
}
