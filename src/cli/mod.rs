//! Command line: clap definitions converted to a plain [`Config`], one file per command, run
//! against caller-supplied writers (the library never prints).

mod args;
mod audit;
mod backtest;
mod check;
mod compile;
mod config;
mod convert;
mod diff;
mod error;
mod explain;
mod report;
mod runbooks;
mod status;
mod test;

use std::io::Write;

use clap::Parser;

pub(crate) use config::{
    AuditConfig, BacktestConfig, CheckConfig, Colors, CompileConfig, Config, DiffConfig, DiffSides,
    ExplainConfig, Format, ReportConfig, StatusConfig, TestConfig,
};

use crate::diag;
use crate::pipeline;

use error::Error;

/// What a command returns: its exit code, or why it stopped early.
type Outcome = Result<i32, Error>;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the specs are invalid (errors were reported).
pub const EXIT_INVALID: i32 = 1;
/// Exit code: usage or I/O error (bad flags, unreadable paths, no specs, outputs not writable).
pub const EXIT_USAGE: i32 = 2;

/// Parses arguments and runs; returns the exit code. Help and usage errors go to the writers.
pub fn main<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> std::io::Result<i32>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let argv: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    match args::Args::try_parse_from(&argv) {
        Ok(args) => {
            let (mut config, colors) = args.into_config();
            if let Config::Compile(c) = &mut config {
                c.rerun = rerun_without_check(&argv);
            }
            run(&config, colors, stdout, stderr)
        }
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

/// The command that writes what `compile --check` found stale: the one given, as `slocc`, without
/// `--check`, each argument quoted for a POSIX shell where it needs it.
fn rerun_without_check(argv: &[std::ffi::OsString]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,@%+".contains(c);
    let mut words = vec!["slocc".to_string()];
    for arg in argv.iter().skip(1) {
        let arg = arg.to_string_lossy();
        if arg == "--check" {
            continue;
        }
        words.push(if !arg.is_empty() && arg.chars().all(plain) {
            arg.into_owned()
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        });
    }
    words.join(" ")
}

/// Runs a parsed command; the one place an [`Error`] becomes a message and an exit code.
pub(crate) fn run(
    config: &Config,
    colors: Colors,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let io = Io {
        stdout,
        stderr: &mut *stderr,
        colors,
    };
    match dispatch(config, io) {
        Ok(code) | Err(Error::Exit(code)) => Ok(code),
        Err(Error::Usage(message)) => {
            writeln!(stderr, "error: {message}")?;
            Ok(EXIT_USAGE)
        }
        Err(Error::Write(e)) => Err(e),
    }
}

fn dispatch(config: &Config, io: Io<'_>) -> Outcome {
    match config {
        Config::Check(c) => check::run(c, io),
        Config::Audit(c) => audit::run(c, io),
        Config::Status(c) => status::run(c, io),
        Config::Backtest(c) => backtest::run(c, io),
        Config::Report(c) => report::run(c, io),
        Config::Test(c) => test::run(c, io),
        Config::Compile(c) => compile::run(c, io),
        Config::Explain(c) => explain::run(c, io),
        Config::Convert { paths } => convert::run(paths, io),
        Config::Diff(c) => diff::run(c, io),
        Config::Init { dir } => init_templates(dir, io),
        Config::Schema => {
            io.stdout
                .write_all(crate::spec::schema::render().as_bytes())?;
            Ok(EXIT_OK)
        }
        Config::Completions(shell) => {
            let mut command = args::command();
            clap_complete::generate(*shell, &mut command, "slocc", io.stdout);
            Ok(EXIT_OK)
        }
        Config::Man(command) => man(command.as_deref(), io),
        Config::Usage(message) => Err(Error::Usage(message.clone())),
    }
}

/// slocc's manual page, or one command's (`slocc-compile(1)`, as the main page lists it).
fn man(command: Option<&str>, io: Io<'_>) -> Outcome {
    let root = args::command();
    let page = match command {
        None => root,
        Some(name) => {
            let Some(sub) = root.find_subcommand(name) else {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Error::Usage(format!(
                    "no command `{name}`; the commands are {}",
                    names.join(", ")
                )));
            };
            sub.clone()
                .name(format!("slocc-{name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page).render(io.stdout)?;
    Ok(EXIT_OK)
}

/// The writers a command prints to, and whether each gets colour.
struct Io<'a> {
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
    colors: Colors,
}

impl Io<'_> {
    /// Diagnostics go to stderr for people, to stdout for machines (JSON and GitHub formats).
    fn report(
        &mut self,
        checked: &crate::model::check::Checked,
        format: Format,
    ) -> std::io::Result<()> {
        let format = format.diagnostics();
        let color = format == diag::Format::Human && self.colors.stderr;
        let text = diag::render(&checked.diagnostics, &checked.sources, format, color);
        match format {
            diag::Format::Human => self.stderr.write_all(text.as_bytes()),
            diag::Format::Json | diag::Format::Github => self.stdout.write_all(text.as_bytes()),
        }
    }
}

fn init_templates(dir: &std::path::Path, io: Io<'_>) -> Outcome {
    let shown = crate::vocab::path::display(dir);
    let (written, kept) = crate::emit::templates::Templates::init(dir)
        .map_err(|e| Error::Usage(format!("cannot write templates to `{shown}`: {e}")))?;
    for path in &written {
        writeln!(io.stderr, "wrote {path}")?;
    }
    for path in &kept {
        writeln!(io.stderr, "kept {path} (already exists)")?;
    }
    writeln!(
        io.stderr,
        "edit them and pass `--templates {shown}` to `slocc compile` and `slocc check`"
    )?;
    Ok(EXIT_OK)
}

/// Reads and validates `paths`, then narrows to the selection.
fn check_selected(
    paths: &[std::path::PathBuf],
    select: &crate::model::select::Selection,
    overrides: crate::model::check::Overrides,
) -> Result<crate::model::check::Checked, Error> {
    selected(pipeline::check_with(paths, overrides)?, select)
}

/// `checked` narrowed to `select` (when it has no errors).
fn selected(
    mut checked: crate::model::check::Checked,
    select: &crate::model::select::Selection,
) -> Result<crate::model::check::Checked, Error> {
    if !checked.failed() && !select.is_all() {
        checked.services = select.apply(&checked.services)?;
    }
    Ok(checked)
}

/// Specs read, selected and reported for a command that only reads them; stops with exit 1
/// when they have errors.
fn checked_specs(
    paths: &[std::path::PathBuf],
    select: &crate::model::select::Selection,
    io: &mut Io<'_>,
) -> Result<crate::model::check::Checked, Error> {
    let checked = check_selected(paths, select, Default::default())?;
    io.report(&checked, Format::Human)?;
    if checked.failed() {
        return Err(Error::Exit(EXIT_INVALID));
    }
    Ok(checked)
}

/// The client for `connection`'s Prometheus (or the environment's).
fn connect(connection: &config::Connection) -> Result<crate::live::client::Prometheus, Error> {
    let timeout = positive_duration(&connection.timeout, "--timeout")?;
    let url = connection.prometheus.as_deref();
    let ca_file = connection.ca_file.as_deref();
    Ok(crate::live::client::Prometheus::from_env(
        url, timeout, ca_file,
    )?)
}

/// A duration flag that must be longer than zero (`--timeout 30s`, `--since 30d`).
fn positive_duration(text: &str, flag: &str) -> Result<std::time::Duration, String> {
    match crate::vocab::duration::Duration::parse(text) {
        Ok(d) if !d.is_zero() => Ok(std::time::Duration::from_millis(d.as_millis())),
        _ => Err(format!(
            "{flag} `{text}` is not a duration such as `30s` or `30d`"
        )),
    }
}

fn slo_count(checked: &crate::model::check::Checked) -> usize {
    checked.services.iter().map(|s| s.slos.len()).sum()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut all = vec!["slocc"];
        all.extend(args);
        let code = main(all, &mut out, &mut err).unwrap();
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn usage_errors_exit_2() {
        let (code, _, err) = run_args(&["frobnicate"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("frobnicate"));
    }

    #[test]
    fn completions_and_the_manual_come_from_clap() {
        let (code, out, _) = run_args(&["completions", "bash"]);
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("_slocc()") && out.contains("--disable-alerts"));
        let (code, out, _) = run_args(&["man"]);
        assert_eq!(code, EXIT_OK);
        assert!(out.starts_with(".ie") || out.contains(".TH slocc"), "{out}");
        assert!(out.contains("compile"));
    }

    #[test]
    fn the_rerun_command_is_the_one_given_without_check() {
        let argv: Vec<std::ffi::OsString> = [
            "/usr/local/bin/slocc",
            "compile",
            "--check",
            "it's here",
            "-o",
            "rules",
            "--label",
            "team=a b",
        ]
        .iter()
        .map(Into::into)
        .collect();
        assert_eq!(
            rerun_without_check(&argv),
            "slocc compile 'it'\\''s here' -o rules --label 'team=a b'"
        );
    }
}
