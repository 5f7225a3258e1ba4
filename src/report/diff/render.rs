//! Rendering a diff report for a terminal (coloured) or a pull-request comment (markdown that
//! fits GitHub's size limit).

use super::*;

fn kind_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Renamed => "renamed",
        ChangeKind::Changed => "changed",
    }
}

/// Renders for a terminal; `color` adds ANSI colours.
pub(crate) fn render_human(report: &Report, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    if !report.has_changes() {
        out.push_str("no changes\n");
        return out;
    }
    for change in &report.slos {
        let _ = writeln!(
            out,
            "{}: {}",
            paint("1", &format!("{}/{}", change.service, change.slo)),
            kind_word(change.kind)
        );
        for d in &change.details {
            let _ = writeln!(out, "  {}", d.text);
        }
    }
    for file in &report.files {
        out.push('\n');
        for line in file.diff.lines() {
            let painted = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => paint("32", line),
                Some('-') if !line.starts_with("---") => paint("31", line),
                Some('@') => paint("36", line),
                _ => line.to_string(),
            };
            out.push_str(&painted);
            out.push('\n');
        }
    }
    out
}

/// The default most bytes of `--format markdown`: a GitHub comment holds 65,536 characters.
pub(crate) const MARKDOWN_MAX_BYTES: usize = 65_000;

/// Room kept for the closing lines when deciding what fits.
const MARKDOWN_TRAILER: usize = 1_200;

/// Up to this many changed SLOs, the comment gives each tier's numbers; beyond, it counts the
/// tiers whose alerts change, so that one SLO stays one short line.
const DETAILED_SLOS: usize = 10;

/// The details of one SLO's line: all of them, or with tier changes counted.
fn markdown_details(change: &SloChange, detailed: bool) -> Vec<String> {
    let is_tier = |d: &&Detail| d.what.starts_with("tier") || d.what == "label";
    let mut texts: Vec<String> = change
        .details
        .iter()
        .filter(|d| detailed || !is_tier(d))
        .map(|d| d.text.clone())
        .collect();
    let tiers = change.details.iter().filter(is_tier).count();
    if !detailed && tiers > 0 {
        texts.push(format!("{tiers} alert tier change{}", plural(tiers)));
    }
    texts
}

/// Renders as a pull-request comment of at most `max_bytes` (at least 2,000): the counts, one
/// line per changed SLO, then the generated files' diffs while they fit, then the names of
/// those that did not.
pub(crate) fn render_markdown(report: &Report, max_bytes: usize) -> String {
    let budget = max_bytes.saturating_sub(MARKDOWN_TRAILER);
    let mut out = String::from("### slocc: SLO and alert changes\n\n");
    if !report.has_changes() {
        out.push_str("No changes to SLOs, alerts or generated rules.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{} SLO{} changed, {} generated file{} changed.\n",
        report.slos.len(),
        plural(report.slos.len()),
        report.files.len(),
        plural(report.files.len())
    );
    if report.slos.is_empty() {
        out.push_str("No SLO or alert semantics changed; only the generated files differ.\n");
    }
    let detailed = report.slos.len() <= DETAILED_SLOS;
    for (i, change) in report.slos.iter().enumerate() {
        let texts = markdown_details(change, detailed);
        let line = format!(
            "- **{}/{}** {}: {}\n",
            change.service,
            change.slo,
            kind_word(change.kind),
            texts.join("; ")
        );
        if out.len() + line.len() > budget {
            let rest = report.slos.len() - i;
            let _ = writeln!(
                out,
                "- ... and {rest} more SLO{} changed: run `slocc diff` for all of them",
                plural(rest)
            );
            break;
        }
        out.push_str(&line);
    }
    render_markdown_files(&mut out, report, budget);
    out
}

/// How much a generated file's diff matters to a reviewer of paging: rule files (the alerts)
/// first, then Alertmanager's routes, the alert tests, runbooks, and dashboards last.
fn paging_rank(path: &str) -> u8 {
    match path.split('/').next() {
        Some("alertmanager") => 1,
        Some("tests") => 2,
        Some("runbooks") => 3,
        Some("dashboards") => 4,
        _ => 0,
    }
}

/// Appends the file diffs that fit in `budget`, most important first (a diff too long for what
/// is left is passed over for shorter ones of the same kind), then names those that did not
/// fit; no block at all when none fits.
fn render_markdown_files(out: &mut String, report: &Report, budget: usize) {
    if report.files.is_empty() {
        return;
    }
    let mut files: Vec<&FileDiff> = report.files.iter().collect();
    files.sort_by_key(|f| paging_rank(&f.path));
    let head = format!(
        "\n<details><summary>Generated files: {} file{} changed</summary>\n\n",
        report.files.len(),
        plural(report.files.len())
    );
    let tail = "</details>\n";
    let mut shown = String::new();
    let mut left_out = Vec::new();
    // Once a file does not fit, nothing less important is shown in its place.
    let mut cut = None;
    for file in files {
        // A fence longer than any backtick run in the diff keeps the block closed.
        let longest = file
            .diff
            .split(|c| c != '`')
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let block = format!("{fence}diff\n{}{fence}\n\n", file.diff);
        let rank = paging_rank(&file.path);
        let fits = out.len() + head.len() + shown.len() + block.len() + tail.len() <= budget;
        if fits && cut.is_none_or(|c| rank <= c) {
            shown.push_str(&block);
        } else {
            cut = cut.or(Some(rank));
            left_out.push(file.path.as_str());
        }
    }
    if !shown.is_empty() {
        out.push_str(&head);
        out.push_str(&shown);
        out.push_str(tail);
    }
    if !left_out.is_empty() {
        let shown: Vec<String> = left_out.iter().take(5).map(|p| format!("`{p}`")).collect();
        let _ = writeln!(
            out,
            "\n{} more file{} changed, not shown to keep this comment short ({}{}); run \
             `slocc diff` to see every diff.",
            left_out.len(),
            plural(left_out.len()),
            shown.join(", "),
            if left_out.len() > 5 { ", ..." } else { "" }
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
