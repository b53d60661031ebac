fn main() {
    std::process::exit(crontainer::run(std::env::args_os()));
}
