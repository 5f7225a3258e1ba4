//! The `slocc` binary: hands the arguments to the library and exits with its code.

// Compiling allocates many small strings on every core; glibc's allocator spent a third of the
// instructions of a large compile (docs/decisions.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let code = match slocc::cli::main(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ) {
        // The reader went away (`slocc diff | head`): nothing more to say, and no one to say it to.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        other => other?,
    };
    std::process::exit(code)
}
