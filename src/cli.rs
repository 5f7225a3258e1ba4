//! Command line: clap definitions, converted to a plain [`Config`], run against caller-supplied writers.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::{self, Format};
use crate::pipeline::{self, DEFAULT_SPECS};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the specs are invalid (errors were reported).
pub const EXIT_INVALID: i32 = 1;
/// Exit code: usage or I/O error (bad flags, unreadable paths, no specs, outputs not writable).
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "slocc",
    version,
    about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules",
    long_about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.\n\nExit codes: 0 success, 1 invalid specs, 2 usage or I/O error."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate specs and report every problem with file:line:col, a code and a hint.
    Check {
        /// Spec files or directories (default: `specs/`).
        paths: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Validate specs and write one Prometheus rule file per service.
    Compile {
        /// Spec files or directories (default: `specs/`).
        paths: Vec<PathBuf>,
        /// Output directory; only files slocc generated there are replaced or removed.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Write nothing; exit 1 with a diff when the output directory is stale or incomplete.
        #[arg(long)]
        check: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Readable, with the source line and a caret.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// GitHub Actions annotations.
    Github,
}

impl From<FormatArg> for Format {
    fn from(value: FormatArg) -> Self {
        match value {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
        }
    }
}

/// What to run, independent of clap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Config {
    /// `slocc check`.
    Check {
        /// Inputs.
        paths: Vec<PathBuf>,
        /// Diagnostics format.
        format: Format,
    },
    /// `slocc compile`.
    Compile {
        /// Inputs.
        paths: Vec<PathBuf>,
        /// Output directory.
        out: PathBuf,
        /// Compare instead of writing.
        check: bool,
        /// Diagnostics format.
        format: Format,
    },
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_SPECS)]
    } else {
        paths
    }
}

impl From<Args> for Config {
    fn from(args: Args) -> Self {
        match args.command {
            Command::Check { paths, format } => Config::Check {
                paths: default_paths(paths),
                format: format.into(),
            },
            Command::Compile {
                paths,
                out,
                check,
                format,
            } => Config::Compile {
                paths: default_paths(paths),
                out,
                check,
                format: format.into(),
            },
        }
    }
}

/// Parses arguments and runs; returns the exit code. Help and usage errors go to the writers.
pub fn main<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> std::io::Result<i32>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Args::try_parse_from(args) {
        Ok(args) => run(&Config::from(args), stdout, stderr),
        Err(error) => {
            let text = error.render().to_string();
            if error.use_stderr() {
                stderr.write_all(text.as_bytes())?;
                Ok(EXIT_USAGE)
            } else {
                stdout.write_all(text.as_bytes())?;
                Ok(EXIT_OK)
            }
        }
    }
}

/// Runs a parsed command.
pub fn run(
    config: &Config,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    match config {
        Config::Check { paths, format } => {
            let checked = match pipeline::check(paths) {
                Ok(c) => c,
                Err(e) => return usage_error(stderr, &e),
            };
            report(&checked, *format, stdout, stderr)?;
            if checked.failed() {
                return Ok(EXIT_INVALID);
            }
            if *format == Format::Human {
                writeln!(
                    stderr,
                    "checked {} service{} ({} SLO{}) in {} file{}: ok",
                    checked.services.len(),
                    plural(checked.services.len()),
                    slo_count(&checked),
                    plural(slo_count(&checked)),
                    checked.sources.files().len(),
                    plural(checked.sources.files().len()),
                )?;
            }
            Ok(EXIT_OK)
        }
        Config::Compile {
            paths,
            out,
            check,
            format,
        } => {
            let checked = match pipeline::check(paths) {
                Ok(c) => c,
                Err(e) => return usage_error(stderr, &e),
            };
            report(&checked, *format, stdout, stderr)?;
            if checked.failed() {
                writeln!(
                    stderr,
                    "nothing written: fix the errors above and run again"
                )?;
                return Ok(EXIT_INVALID);
            }
            let output = pipeline::build_outputs(&checked.services);
            if *check {
                return check_outputs(&output, out, stdout, stderr);
            }
            match output.write(out) {
                Ok(written) => {
                    if *format == Format::Human {
                        writeln!(
                            stderr,
                            "compiled {} service{} ({} SLO{}) into {}: {} written, {} unchanged, {} removed",
                            checked.services.len(),
                            plural(checked.services.len()),
                            slo_count(&checked),
                            plural(slo_count(&checked)),
                            pipeline::display(out),
                            written.changed.len(),
                            written.unchanged.len(),
                            written.removed.len()
                        )?;
                    }
                    Ok(EXIT_OK)
                }
                Err(e) => usage_error(stderr, &e),
            }
        }
    }
}

/// `compile --check`: the diff of every stale file on stdout, a summary on stderr.
fn check_outputs(
    output: &crate::output::Output,
    out: &std::path::Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let stale = match output.stale(out) {
        Ok(s) => s,
        Err(e) => return usage_error(stderr, &e),
    };
    let dir = pipeline::display(out);
    for file in &stale {
        let old_name = format!("a/{dir}/{}", file.path);
        let new_name = format!("b/{dir}/{}", file.path);
        let diff = crate::output::unified_diff(
            file.on_disk.as_deref().unwrap_or(""),
            file.generated.as_deref().unwrap_or(""),
            &old_name,
            &new_name,
        );
        stdout.write_all(diff.as_bytes())?;
    }
    if stale.is_empty() {
        writeln!(
            stderr,
            "{dir} is up to date ({} files)",
            output.files().len()
        )?;
        return Ok(EXIT_OK);
    }
    let names: Vec<&str> = stale.iter().map(|s| s.path.as_str()).collect();
    writeln!(
        stderr,
        "{dir} is stale: {} file{} differ{} from the specs ({}); run `slocc compile` and commit the result",
        stale.len(),
        plural(stale.len()),
        if stale.len() == 1 { "s" } else { "" },
        names.join(", ")
    )?;
    Ok(EXIT_INVALID)
}

fn slo_count(checked: &pipeline::Checked) -> usize {
    checked.services.iter().map(|s| s.slos.len()).sum()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Diagnostics go to stderr for people, to stdout for machines (JSON and GitHub formats).
fn report(
    checked: &pipeline::Checked,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let text = diag::render(&checked.diagnostics, &checked.sources, format);
    match format {
        Format::Human => stderr.write_all(text.as_bytes()),
        Format::Json | Format::Github => stdout.write_all(text.as_bytes()),
    }
}

fn usage_error(stderr: &mut dyn Write, error: &dyn std::fmt::Display) -> std::io::Result<i32> {
    writeln!(stderr, "error: {error}")?;
    Ok(EXIT_USAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn no_paths_means_the_bundled_specs() {
        let args = Args::try_parse_from(["slocc", "compile"]).unwrap();
        assert_eq!(
            Config::from(args),
            Config::Compile {
                paths: vec![PathBuf::from("specs")],
                out: PathBuf::from("out"),
                check: false,
                format: Format::Human
            }
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = main(["slocc", "frobnicate"], &mut out, &mut err).unwrap();
        assert_eq!(code, EXIT_USAGE);
        assert!(String::from_utf8(err).unwrap().contains("frobnicate"));
    }
}
