fn main() {
    // Die quietly on a closed pipe (`crontainer plan | head`), like every Unix tool, instead of
    // Rust's default of ignoring SIGPIPE and panicking on the failed write.
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is a valid handler.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    std::process::exit(crontainer::run(std::env::args_os()));
}
