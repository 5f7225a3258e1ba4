//! The CI examples as users copy them: the GitHub Actions workflow's shell steps run in order on
//! a repository holding the bundled specs, and the pre-commit hooks see only spec files.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Project;

fn repo_file(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

/// A PATH on which `slocc` is the binary under test, ahead of everything else.
fn path_with_slocc() -> std::ffi::OsString {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_slocc"));
    let mut paths = vec![bin.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

#[track_caller]
fn sh(dir: &Path, script: &str, envs: &[(&str, &str)]) -> std::process::Output {
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path_with_slocc())
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "step failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A spec repository as the workflow expects it on a pull request: `main` with the bundled
/// specs and their committed outputs, then a commit that tightens an objective and regenerates.
fn pull_request_repository() -> Project {
    let project = crate::commands::bundled();
    let dir = project.path();
    let git = "git -c user.name=t -c user.email=t@example.invalid";
    sh(
        dir,
        &format!(
            "git init -q -b main . && slocc compile specs -o rules 2>/dev/null && git add -A && {git} commit -qm base && git update-ref refs/remotes/origin/main HEAD"
        ),
        &[],
    );
    let spec = project.read("specs/checkout-api.yaml");
    project.file(
        "specs/checkout-api.yaml",
        &spec.replacen("objective: 99.9\n", "objective: 99.95\n", 1),
    );
    sh(
        dir,
        &format!(
            "slocc compile specs -o rules 2>/dev/null && git add -A && {git} commit -qm tighten"
        ),
        &[],
    );
    project
}

/// The release archive of the binary under test (stripped, as the release workflow strips its
/// builds), packaged by `scripts/package` and served on loopback as GitHub serves release
/// downloads (`<base>/v<version>/<file>`); with `tamper`, the archive is not the one its
/// checksum names. Returns the base URL.
fn serve_release(project: &Project, tamper: bool) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let root = project.path().join("releases");
    let dir = root.join(format!("v{version}"));
    let stripped = project.path().join("slocc-stripped");
    let strip = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(env!("CARGO_BIN_EXE_slocc"))
        .status()
        .expect("run strip (binutils)");
    assert!(strip.success());
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package");
    let packaged = Command::new(package)
        .arg(&stripped)
        .args([version, "x86_64-unknown-linux-musl"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(packaged.status.success(), "{packaged:?}");
    if tamper {
        let archive = dir.join(format!("slocc-{version}-x86_64-unknown-linux-musl.tar.gz"));
        let mut bytes = std::fs::read(&archive).unwrap();
        bytes.push(0);
        std::fs::write(&archive, bytes).unwrap();
    }
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let file = root.join(request.url().trim_start_matches('/'));
            let _ = match std::fs::read(file) {
                Ok(bytes) => request.respond(tiny_http::Response::from_data(bytes)),
                Err(_) => request.respond(tiny_http::Response::empty(404)),
            };
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Runs the workflow's shell steps in order as GitHub does on a pull request into `main`: once
/// a step fails, only steps whose `if:` holds `!cancelled()` still run; directories a step
/// appends to `$GITHUB_PATH` lead the later steps' PATH (slocc is on it only once installed).
/// Installing promtool (the test command did) and posting to GitHub's API are left out; the
/// comment step's condition is returned instead. Returns each step run, with whether it
/// passed, and whether the comment would be posted.
fn run_workflow(project: &Project, releases: &str) -> (Vec<(String, bool)>, bool) {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&repo_file("examples/github-actions/slocc.yml")).unwrap();
    let dir = project.path();
    for sub in ["home", "runner-temp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (output, path_file) = (file("github-output"), file("github-path"));
    std::fs::write(&path_file, "").unwrap();
    let (mut ran, mut failed, mut comment) = (Vec::new(), false, false);
    for step in workflow["jobs"]["slocc"]["steps"].as_sequence().unwrap() {
        let (Some(run), name) = (step["run"].as_str(), step["name"].as_str().unwrap_or("")) else {
            continue; // `uses:` steps are GitHub's actions (checkout).
        };
        let condition = step["if"].as_str().unwrap_or("");
        if failed && !condition.contains("!cancelled()") {
            continue;
        }
        if run.contains("gh pr comment") {
            let changed = std::fs::read_to_string(&output).unwrap_or_default();
            comment = changed.contains("changed=true");
            continue;
        }
        if name == "Install promtool" {
            continue;
        }
        let script = run.replace("${{ github.base_ref }}", "main");
        assert!(
            !script.contains("${{"),
            "unexpanded expression in {name}: {script}"
        );
        let mut path: Vec<PathBuf> = std::fs::read_to_string(&path_file)
            .unwrap()
            .lines()
            .map(PathBuf::from)
            .collect();
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let status = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(dir)
            .env("PATH", std::env::join_paths(path).unwrap())
            .envs([
                ("GITHUB_OUTPUT", output.as_str()),
                ("GITHUB_PATH", path_file.as_str()),
                ("HOME", &file("home")),
                ("RUNNER_TEMP", &file("runner-temp")),
                ("SLOCC_RELEASES", releases),
                ("SLOCC_VERSION", env!("CARGO_PKG_VERSION")),
            ])
            .output()
            .unwrap();
        failed |= !status.status.success();
        ran.push((name.to_string(), status.status.success()));
    }
    (ran, comment)
}

#[test]
fn github_actions_example_installs_the_release_and_runs_step_by_step() {
    let project = pull_request_repository();
    let releases = serve_release(&project, false);
    let (ran, comment) = run_workflow(&project, &releases);
    let names: Vec<(&str, bool)> = ran.iter().map(|(n, ok)| (n.as_str(), *ok)).collect();
    assert_eq!(
        names,
        [
            (
                "Install slocc (a release binary, its checksum verified)",
                true
            ),
            ("Check specs (errors become inline annotations)", true),
            ("Generated rules are committed and current", true),
            ("Prove the rules on Prometheus's own engine", true),
            (
                "Prove every SLO's alerts fire when they should (the promtool tests slocc wrote)",
                true
            ),
            ("Explain the alert changes", true),
        ]
    );
    assert!(comment);
    let installed = project.path().join("home/.local/bin/slocc");
    assert!(installed.is_file(), "slocc was not installed");
    let comment = project.read("slocc-diff.md");
    assert!(
        comment.contains("**checkout-api/availability** changed: objective 99.9% -> 99.95%"),
        "{comment}"
    );
}

/// A pull request that changes a spec and forgets to regenerate: the stale-output gate fails,
/// the proofs of the stale rules are skipped, and the change is still explained and commented.
#[test]
fn a_pull_request_with_stale_outputs_still_gets_its_comment() {
    let project = pull_request_repository();
    let spec = project.read("specs/checkout-api.yaml");
    project.file(
        "specs/checkout-api.yaml",
        &spec.replacen("objective: 99.95\n", "objective: 99.99\n", 1),
    );
    let releases = serve_release(&project, false);
    let (ran, comment) = run_workflow(&project, &releases);
    let names: Vec<(&str, bool)> = ran.iter().map(|(n, ok)| (n.as_str(), *ok)).collect();
    assert_eq!(
        names,
        [
            (
                "Install slocc (a release binary, its checksum verified)",
                true
            ),
            ("Check specs (errors become inline annotations)", true),
            ("Generated rules are committed and current", false),
            ("Explain the alert changes", true),
        ]
    );
    assert!(comment, "the comment step would not run");
    let comment = project.read("slocc-diff.md");
    assert!(comment.contains("objective 99.9% -> 99.99%"), "{comment}");
}

/// An archive that is not the one its release's SHA256SUMS names is never installed.
#[test]
fn the_ci_install_refuses_an_archive_its_checksum_does_not_match() {
    let project = pull_request_repository();
    let releases = serve_release(&project, true);
    let (ran, comment) = run_workflow(&project, &releases);
    assert_eq!(
        ran[0],
        (
            "Install slocc (a release binary, its checksum verified)".to_string(),
            false
        )
    );
    assert!(!project.path().join("home/.local/bin/slocc").exists());
    assert!(!comment);
}

/// The release workflow's own checks: the tag must be the crate's version, and the archives it
/// publishes (built by scripts/package) hold the binary and verify against SHA256SUMS.
#[test]
fn the_release_workflow_checks_its_tag_and_packages_verifiable_archives() {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&repo_file(".github/workflows/release.yml")).unwrap();
    let steps = workflow["jobs"]["build"]["steps"].as_sequence().unwrap();
    let tag_check = steps
        .iter()
        .find(|s| s["name"] == "The tag is the crate's version")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = Project::new();
    let env_file = project.path().join("github-env");
    for (tag, ok) in [
        (format!("v{}", env!("CARGO_PKG_VERSION")), true),
        ("v9.9.9".into(), false),
    ] {
        let status = Command::new("bash")
            .args(["-euo", "pipefail", "-c", tag_check])
            .current_dir(root)
            .env("GITHUB_REF_NAME", &tag)
            .env("GITHUB_ENV", &env_file)
            .output()
            .unwrap();
        assert_eq!(status.status.success(), ok, "{tag}: {status:?}");
    }
    let releases = serve_release(&project, false);
    assert!(releases.starts_with("http://"));
    let dir = project
        .path()
        .join(format!("releases/v{}", env!("CARGO_PKG_VERSION")));
    let check = Command::new("sha256sum")
        .args(["--check", "SHA256SUMS"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(check.success());
    let listing = Command::new("tar")
        .args([
            "-tzf",
            &format!(
                "slocc-{}-x86_64-unknown-linux-musl.tar.gz",
                env!("CARGO_PKG_VERSION")
            ),
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let name = format!(
        "slocc-{}-x86_64-unknown-linux-musl",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout),
        format!("{name}/\n{name}/README.md\n{name}/slocc\n")
    );
}

#[test]
fn pre_commit_hooks_see_only_spec_files() {
    let hooks: serde_yaml::Value =
        serde_yaml::from_str(&repo_file(".pre-commit-hooks.yaml")).unwrap();
    let project = crate::commands::bundled();
    project.slocc(&["compile"]).expect_code(0);
    project
        .file(
            ".github/workflows/ci.yml",
            &repo_file("examples/github-actions/slocc.yml"),
        )
        .file("docker-compose.yml", "services: {web: {image: nginx}}\n");
    let mut files = vec![
        ".github/workflows/ci.yml".to_string(),
        "docker-compose.yml".to_string(),
        "out/checkout-api.rules.yml".to_string(),
    ];
    for entry in std::fs::read_dir(project.path().join("specs")).unwrap() {
        files.push(format!(
            "specs/{}",
            entry.unwrap().file_name().to_string_lossy()
        ));
    }
    // Without the pattern, the hook would fail on the workflow file.
    project
        .slocc(&["check", ".github/workflows/ci.yml"])
        .expect_code(1);
    for hook in hooks.as_sequence().unwrap() {
        let pattern = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
        let mut args: Vec<String> = hook["entry"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .skip(1) // `slocc`
            .map(str::to_string)
            .collect();
        let matched: Vec<String> = files
            .iter()
            .filter(|f| pattern.is_match(f))
            .cloned()
            .collect();
        assert_eq!(matched.len(), 4, "{matched:?}"); // the four bundled specs, nothing else
        if hook["pass_filenames"].as_bool().unwrap_or(true) {
            args.extend(matched);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        project.slocc(&args).expect_code(0);
    }
}
