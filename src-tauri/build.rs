fn main() {
    // The app config sits at the repository root, as the design card lays it out.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script");
}
