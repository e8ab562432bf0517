fn main() {
    // Tauri bundles ui/dist into the app, so a fresh checkout builds it first.
    build_support::ensure_ui_built();
    // The app config sits at the repository root, as the design card lays it out.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script");
}
