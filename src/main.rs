//! The `slocc` binary: hands the arguments to the library and exits with its code.

fn main() -> anyhow::Result<()> {
    let code = slocc::cli::main(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    std::process::exit(code)
}
