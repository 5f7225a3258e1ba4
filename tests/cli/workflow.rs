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

#[test]
fn github_actions_example_runs_step_by_step() {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&repo_file("examples/github-actions/slocc.yml")).unwrap();
    let steps = workflow["jobs"]["slocc"]["steps"].as_sequence().unwrap();
    let project = pull_request_repository();
    let output = project.path().join("github-output");
    let output_env = output.to_str().unwrap().to_string();
    let mut ran = Vec::new();
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            continue; // `uses:` steps are GitHub's actions (checkout).
        };
        let name = step["name"].as_str().unwrap_or_default();
        if name.starts_with("Install slocc") {
            // The binary under test stands in for the build from git; the command is checked.
            assert!(
                run.contains("cargo install --git \"$SLOCC_GIT\" --locked slocc"),
                "{run}"
            );
            continue;
        }
        if name.starts_with("Install") || run.contains("gh pr comment") {
            // Installing promtool (the test command did) and posting to GitHub's API.
            continue;
        }
        let script = run.replace("${{ github.base_ref }}", "main");
        assert!(
            !script.contains("${{"),
            "unexpanded expression in {name}: {script}"
        );
        sh(project.path(), &script, &[("GITHUB_OUTPUT", &output_env)]);
        ran.push(name.to_string());
    }
    assert_eq!(
        ran,
        [
            "Check specs (errors become inline annotations)",
            "Generated rules are committed and current",
            "Prove the rules on Prometheus's own engine",
            "Prove every SLO's alerts fire when they should (the promtool tests slocc wrote)",
            "Explain the alert changes",
        ]
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "changed=true\n");
    let comment = project.read("slocc-diff.md");
    assert!(
        comment.contains("**checkout-api/availability** changed: objective 99.9% -> 99.95%"),
        "{comment}"
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
