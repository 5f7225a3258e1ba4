//! Test harness: a temporary project with spec files, the real `slocc` binary, and promtool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a command printed and how it exited.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Each human diagnostic on stderr as one line, `file:line:col: severity[code]: message`
    /// (without the position when it has none), so a test pins position, code and message
    /// together.
    pub(crate) fn headlines(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("error[") || line.starts_with("warning[") {
                match lines
                    .get(i + 1)
                    .and_then(|l| l.trim_start().strip_prefix("--> "))
                {
                    Some(at) => out.push_str(&format!("{at}: {line}\n")),
                    None => out.push_str(&format!("{line}\n")),
                }
            }
        }
        out
    }

    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temporary working directory holding specs and outputs.
pub(crate) struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `relative` (creating directories) and returns the project.
    pub(crate) fn file(&self, relative: &str, text: &str) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Copies the repository's `*.yaml` files in `from` (not below it) into `into`.
    pub(crate) fn with_repo_yaml(&self, from: &str, into: &str) -> &Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                self.file(
                    &format!("{into}/{name}"),
                    &std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
        self
    }

    pub(crate) fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    /// Runs `slocc` with `args` in the project directory.
    pub(crate) fn slocc(&self, args: &[&str]) -> Run {
        self.slocc_env(args, &[])
    }

    /// Runs `slocc` with `args` and extra environment variables.
    pub(crate) fn slocc_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_slocc"))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(self.path())
            .output()
            .expect("run slocc");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A tool the tests run, found on PATH. A missing tool fails the test loudly: the README's test
/// command installs each from the Debian `package` named here.
pub(crate) fn tool(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not installed: these tests prove the generated files on the engine that loads them. \
             Install Debian's `{package}` package (`apt-get install {package}`) or run `scripts/test`, which does."
        )
    })
}

/// A binary that `scripts/tools` builds by Go module name at a pinned version into `.tools/bin`
/// (or the directory `SLOCC_TOOLS_BIN` names). A missing one fails the test loudly.
pub(crate) fn built_tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("SLOCC_TOOLS_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built: these tests prove the generated files on the engines users run. \
         Run `scripts/tools` (it builds the pinned Prometheus 3, Alertmanager, Sloth, oslo and Thanos \
         with Go), or `scripts/test`, which does.",
        path.display()
    );
    path
}

/// A Prometheus generation the rules are proven on: users run both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// Debian 12's Prometheus 2.42 (`apt-get install prometheus`).
    V2,
    /// Prometheus 3, built by `scripts/tools` from `github.com/prometheus/prometheus` (module
    /// v0.316.0 is Prometheus 3.16.0).
    V3,
}

impl Engine {
    /// Both generations, oldest first.
    pub(crate) const BOTH: [Engine; 2] = [Engine::V2, Engine::V3];

    /// How failures and reports name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::V2 => "Prometheus 2.42 (Debian)",
            Self::V3 => "Prometheus 3.16 (scripts/tools)",
        }
    }

    /// Its promtool.
    pub(crate) fn promtool(self) -> PathBuf {
        match self {
            Self::V2 => tool("promtool", "prometheus"),
            Self::V3 => built_tool("promtool"),
        }
    }

    /// Its server.
    pub(crate) fn prometheus(self) -> PathBuf {
        match self {
            Self::V2 => tool("prometheus", "prometheus"),
            Self::V3 => built_tool("prometheus"),
        }
    }
}

/// Checks a vmalert rule file as vmalert loads it (`-dryRun`); panics with its output unless
/// vmalert accepts it.
#[track_caller]
pub(crate) fn vmalert_ok(dir: &Path, file: &str) {
    let output = Command::new(tool("vmalert", "victoria-metrics"))
        .args(["-dryRun", &format!("-rule={file}"), "-loggerLevel=ERROR"])
        .current_dir(dir)
        .output()
        .expect("run vmalert");
    assert!(
        output.status.success(),
        "vmalert -dryRun -rule={file} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `program <args>` in `dir`: whether it succeeded, and what it printed (stdout, then
/// stderr).
pub(crate) fn run_tool(program: &Path, args: &[&str], dir: &Path) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Runs `promtool <args>` in `dir` with one generation's promtool.
pub(crate) fn promtool_on(engine: Engine, dir: &Path, args: &[&str]) -> (bool, String) {
    run_tool(&engine.promtool(), args, dir)
}

/// Runs `promtool <args>` in `dir` with each Prometheus generation's promtool; panics with the
/// engine's name and its output unless both succeed. Returns what they printed, each behind
/// the engine it ran on.
#[track_caller]
pub(crate) fn promtool_ok(dir: &Path, args: &[&str]) -> String {
    let mut report = String::new();
    for engine in Engine::BOTH {
        let (ok, text) = promtool_on(engine, dir, args);
        assert!(ok, "promtool {args:?} failed on {}:\n{text}", engine.name());
        println!("promtool {} passed on {}", args.join(" "), engine.name());
        report = format!("{report}[{}] {text}", engine.name());
    }
    report
}

/// A loopback port nothing listens on (for servers the tests start).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Now, in Unix seconds, rounded down to the minute (the step of the backfilled histories).
pub(crate) fn now_minute() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
        * 60
}

/// One request a [`serve`]d test server received.
#[derive(Debug)]
pub(crate) struct Seen {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// Path and query, as sent.
    pub(crate) url: String,
    /// Headers, names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Seen {
    /// The value of header `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP server (tiny_http) for the life of the test process: `answer` gives each
/// request's status, content type and body; every request is handed back, in order.
pub(crate) fn serve(
    answer: impl Fn(&Seen) -> (u16, &'static str, String) + Send + 'static,
) -> (u16, std::sync::mpsc::Receiver<Seen>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port");
    let port = server.server_addr().to_ip().expect("an IP address").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            let headers = request.headers().iter();
            let seen = Seen {
                method: request.method().to_string(),
                url: request.url().to_string(),
                headers: headers
                    .map(|h| (h.field.to_string().to_lowercase(), h.value.to_string()))
                    .collect(),
                body,
            };
            let (status, content_type, text) = answer(&seen);
            let header = tiny_http::Header::from_bytes("Content-Type", content_type).unwrap();
            let response = tiny_http::Response::from_string(text)
                .with_status_code(status)
                .with_header(header);
            let _ = request.respond(response);
            let _ = tx.send(seen);
        }
    });
    (port, rx)
}
