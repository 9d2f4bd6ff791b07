//! Stage `ocr`, process start-up: keep libtesseract's OpenMP single-threaded, because the
//! pipeline already runs one engine per core.

use std::os::unix::process::CommandExt;

/// Makes sure OpenMP in libtesseract runs single-threaded: if `OMP_THREAD_LIMIT` is not `"1"`,
/// re-executes the current binary with it set (same arguments, same `argv[0]`), so call it
/// first thing in `main`, before any thread starts. Returns normally when already set;
/// returns the error when the re-execution fails (the caller may go on, slower).
///
/// Why: Debian's libtesseract is built with OpenMP, and with OpenMP's defaults every engine
/// starts a team of threads per line that spin-wait for work. With one engine per core (as
/// `digitize` runs them) the teams fight over the cores: measured here, recognition ran 6-9x
/// slower on 2 cores. libgomp reads `OMP_THREAD_LIMIT` once, when the library is loaded, so
/// setting the variable from inside the running process has no effect; only a fresh process
/// image (exec) with the variable in its environment does.
pub fn ensure_single_threaded_openmp() -> std::io::Result<()> {
    ensure_single_threaded_openmp_with(&[])
}

/// [`ensure_single_threaded_openmp`], setting `extra` variables in the re-executed process too
/// (how a caller tells its restarted self what it has already tried).
pub fn ensure_single_threaded_openmp_with(extra: &[(&str, &str)]) -> std::io::Result<()> {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some_and(|v| v == "1") {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // exec only returns on failure
    let err = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .env("OMP_THREAD_LIMIT", "1")
        .envs(extra.iter().copied())
        .exec();
    Err(err)
}
