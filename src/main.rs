//! The `slocc` binary: hands the arguments to the library and exits with its code.

// Compiling allocates many small strings on every core; glibc's allocator spent a third of the
// instructions of a large compile (docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let code = slocc::cli::main(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )?;
    std::process::exit(code)
}
