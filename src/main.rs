//! The `tollgate` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

/// mimalloc: the server allocates many small short-lived values per request,
/// where the system allocator spent a fifth of the CPU. Version 2: Rust asks
/// for every allocation through the aligned API, which version 3 serves on a
/// slower path (about 2 % more instructions per request in the benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The main thread's runtime is the first worker's (see `app::workers`);
/// `tollgate::cli::main` builds it.
fn main() -> ExitCode {
    tollgate::cli::main()
}
