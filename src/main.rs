//! Entry point: install the panic hooks, mount the app.

#[cfg(target_arch = "wasm32")]
fn main() {
    sightline::ui::install_panic_hook();
    leptos::mount::mount_to_body(sightline::ui::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Sightline is a browser app: build it with `trunk build --release` (see README.md).");
}
