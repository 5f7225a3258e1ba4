//! `slocc report`: a self-contained HTML page, opened in headless Chromium: rendered,
//! screenshotted, one chart per SLO, nothing fetched, user text escaped; the summary riskiest
//! first, charts with axes, thresholds and alert episodes, marks for what cannot be judged,
//! and filters that work in the browser alone. With `SLOCC_SCREENSHOTS=DIR` the live report's
//! screenshots are also written to DIR (how `docs/report-*.png` are made).

use std::process::Command;

use crate::harness::{now_minute, tool, Engine, Project};

/// Chromium headless as the machine allows it (no sandbox as root, no background traffic).
fn chromium(project: &Project, args: &[&str]) -> std::process::Output {
    let profile = project.path().join("chromium-profile");
    Command::new(tool("chromium", "chromium"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

/// Serves `report.html` on a loopback port; hands back every path requested.
fn serve(project: &Project) -> (String, std::sync::mpsc::Receiver<String>) {
    let page = project.read("report.html");
    let (port, requests) = crate::harness::serve(move |seen| match seen.url.as_str() {
        "/report.html" => (200, "text/html; charset=utf-8", page.clone()),
        _ => (404, "text/plain", String::new()),
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for seen in requests {
            let _ = tx.send(seen.url);
        }
    });
    (format!("http://127.0.0.1:{port}/report.html"), rx)
}

/// Renders `report.html`, served over HTTP: its DOM after layout, and a screenshot's size in
/// bytes. Chromium must ask for nothing but the page (no network requests) and log no console
/// message (no errors).
fn open(project: &Project) -> (String, u64) {
    let (url, requests) = serve(project);
    let dom = chromium(
        project,
        &["--enable-logging=stderr", "--v=0", "--dump-dom", &url],
    );
    assert!(dom.status.success(), "{dom:?}");
    // A connection that sends no request line (Chromium opens spare sockets) asks for nothing.
    let asked: Vec<String> = requests.try_iter().filter(|p| !p.is_empty()).collect();
    assert_eq!(asked, ["/report.html"], "the page fetched more than itself");
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(!log.contains("CONSOLE"), "console messages:\n{log}");
    let png = project.path().join("report.png");
    let shot = chromium(
        project,
        &[
            "--window-size=1280,2000",
            &format!("--screenshot={}", png.display()),
            &url,
        ],
    );
    assert!(shot.status.success(), "{shot:?}");
    (
        String::from_utf8_lossy(&dom.stdout).into_owned(),
        std::fs::metadata(png).unwrap().len(),
    )
}

/// Nothing in the page makes the browser fetch: a Content-Security-Policy that allows nothing
/// to be fetched and only the one inline script (the filter, by its hash); no stylesheets,
/// frames or images, no element with a `src`, no CSS `url()` or `@import`. (User text is
/// escaped, so `<` only starts real tags.) The only link is the empty `data:` icon that keeps
/// Chromium from asking for `/favicon.ico`.
fn self_contained(html: &str) {
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-"));
    assert_eq!(html.matches("<script").count(), 1, "one inline script");
    assert!(html.contains("<script>(function () {"));
    let html = html.replace("<link rel=\"icon\" href=\"data:,\">", "");
    for needle in [
        "<link",
        "<iframe",
        "<img",
        "<object",
        "<embed",
        "url(",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "{needle} in the report");
    }
    let src = regex::Regex::new(r"<[a-zA-Z][^<>]*\ssrc\s*=").unwrap();
    assert!(!src.is_match(&html), "an element with src in the report");
}

#[test]
fn the_report_from_the_specs_alone_renders_one_chart_per_slo_and_escapes_user_text() {
    let project = Project::new();
    project.with_repo_yaml("specs", "specs");
    let hostile = "apiVersion: slocc/v1\nservice: hostile\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    description: \"<script>alert('x')</script> & <img src=x onerror=alert(1)>\"\n    objective: 99.9\n    sli:\n      raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}\n";
    project.file("specs/hostile.yaml", hostile);
    let run = project.slocc(&["report", "-o", "report.html"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "wrote report.html (9 SLOs)\n");
    let html = project.read("report.html");
    self_contained(&html);
    assert!(html.contains(
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
    ));
    let (dom, png) = open(&project);
    assert_eq!(dom.matches("<svg").count(), 9, "one chart per SLO");
    assert!(
        dom.contains("checkout-api / availability") && dom.contains("43m 12s"),
        "{dom}"
    );
    assert!(
        png > 30_000,
        "the screenshot is {png} bytes: nothing rendered?"
    );
    // Deterministic without Prometheus: the same page twice.
    project
        .slocc(&["report", "-o", "again.html"])
        .expect_code(0);
    assert_eq!(html, project.read("again.html"));
    // The checked-in example is the bundled specs' report.
    std::fs::remove_file(project.path().join("specs/hostile.yaml")).unwrap();
    project
        .slocc(&["report", "-o", "bundled.html"])
        .expect_code(0);
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/report.html");
    assert!(
        std::fs::read_to_string(example).unwrap() == project.read("bundled.html"),
        "examples/report.html is stale: run `cargo run -- report -o examples/report.html`"
    );
}

#[test]
fn the_report_page_is_a_template_the_user_can_override() {
    let project = Project::new();
    project.with_repo_yaml("specs", "specs");
    project.slocc(&["init", "templates", "tpl"]).expect_code(0);
    // The written default reproduces the built-in page exactly.
    project
        .slocc(&["report", "-o", "built-in.html"])
        .expect_code(0);
    project
        .slocc(&["report", "-o", "default.html", "--templates", "tpl"])
        .expect_code(0);
    assert_eq!(project.read("built-in.html"), project.read("default.html"));
    // A house style: the override's text, with slocc's escaped values and charts in it.
    project.file(
        "tpl/report/page.html.hbs",
        "<h1>Team SLOs</h1>{{#each slos}}<section id=\"{{id}}\">{{service}} {{name}} {{objective_percent}}% {{#each charts}}{{{this}}}{{/each}}</section>{{/each}}\n",
    );
    project
        .slocc(&["report", "-o", "house.html", "--templates", "tpl"])
        .expect_code(0);
    let house = project.read("house.html");
    assert!(house.starts_with("<h1>Team SLOs</h1><section id=\"checkout-api-availability\">checkout-api availability 99.9% <figure><svg "), "{house}");
    assert_eq!(house.matches("<section").count(), 8);
    // A template that names a value the page does not have is refused, nothing written.
    project.file(
        "tpl/report/page.html.hbs",
        "{{#each slos}}{{owner}}{{/each}}",
    );
    let run = project.slocc(&["report", "-o", "broken.html", "--templates", "tpl"]);
    run.expect_code(2);
    assert!(!project.path().join("broken.html").exists());
    assert_eq!(
        run.stderr,
        "error: template `report/page.html.hbs`: line 1, column 15: Failed to access variable in strict mode Some(\"owner\")\n"
    );
}

#[test]
fn the_report_with_prometheus_shows_budgets_burn_down_and_the_backtest_on_prometheus_2() {
    the_report_with_prometheus_shows_budgets_burn_down_and_the_backtest(Engine::V2);
}

#[test]
fn the_report_with_prometheus_shows_budgets_burn_down_and_the_backtest_on_prometheus_3() {
    the_report_with_prometheus_shows_budgets_burn_down_and_the_backtest(Engine::V3);
}

fn the_report_with_prometheus_shows_budgets_burn_down_and_the_backtest(engine: Engine) {
    let project = Project::new();
    // Beside the six SLOs of the live history, one whose metric Prometheus has never seen.
    let ghost = "  - name: ghost\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(no_such_metric{code=\"500\"}[{{window}}]))\n        total: sum(rate(no_such_metric[{{window}}]))\n";
    project.file("specs/live.yaml", &(crate::live::spec() + ghost));
    let now = now_minute();
    let (_server, url) = crate::live::prometheus(&project, now, engine);
    let run = project.slocc(&[
        "report",
        "-o",
        "report.html",
        "--prometheus",
        &url,
        "--backtest",
        "3d",
    ]);
    run.expect_code(0);
    let html = project.read("report.html");
    self_contained(&html);
    // The backtest's incidents and MTTR, in words: the outage's one incident pages.
    let outage = html.split("id=\"live-outage\"").nth(1).unwrap();
    let incidents = outage.split("<ul class=\"incidents\">").nth(1).unwrap();
    let incidents = incidents.split("</ul>").next().unwrap();
    assert!(incidents.starts_with("<li>incident "), "{incidents}");
    assert!(incidents.contains(", paged after "), "{incidents}");
    assert!(incidents.contains("<li>MTTR "), "{incidents}");
    // Burn-down charts for the SLOs with history (the recorded one has a week of burn rates
    // but no budget series to draw, so it keeps the chart the specs alone give).
    assert_eq!(
        html.matches("error budget left (%) over the window</figcaption>")
            .count(),
        5
    );
    // The summary, riskiest first: the spent budgets (the 10-minute outage overspent most),
    // the recorded SLO burning at 3x over the fastest tier's hour (half its budget left, so a
    // warning, not green), the SLO whose page is firing; then the others by budget left.
    let rows: Vec<&str> = html
        .split("<td><a href=\"#live-")
        .skip(1)
        .map(|row| row.split('"').next().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["ghost", "outage", "spent", "recorded", "burn", "quarter", "quiet"]
    );
    assert!(
        html.contains(
            "<td class=\"warn\">50% left</td><td>99.5%</td><td>3x</td><td></td><td>5d</td>"
        ),
        "the recorded SLO: {html}"
    );
    assert_eq!(
        html.matches(": burn rate over 1h, last week</figcaption>")
            .count(),
        6
    );
    // The backtest: the outage SLO's 14.4x tier fired once.
    assert!(html.contains("<tr><td>page 1h/5m</td><td>1</td>"), "{html}");
    let (dom, png) = open(&project);
    assert_eq!(
        dom.matches("<svg").count(),
        13,
        "burn-down and burn-rate charts per SLO, and the specs' chart for the one with no data"
    );
    assert!(png > 50_000);
    in_the_browser(&project, &dom);
}

/// What the live report shows once Chromium has laid it out and run its script: time and
/// value axes on every chart, the budget's end and the fastest tier's threshold, the outage's
/// page as an episode band, the SLO Prometheus has no data for marked and first; and the filter
/// (set from the URL) hiding every other SLO, in the page alone.
fn in_the_browser(project: &Project, dom: &str) {
    let charts = dom.matches("<svg").count();
    assert!(
        dom.matches("class=\"tick-x\"").count() >= 2 * charts,
        "time axis ticks"
    );
    assert!(
        dom.matches("class=\"tick-y\"").count() >= 2 * charts,
        "value axis ticks"
    );
    assert_eq!(
        dom.matches(">budget gone</text>").count(),
        5,
        "the budget's end on each burn-down"
    );
    assert_eq!(
        dom.matches("fires above 14.4x</text>").count(),
        6,
        "the 14.4x tier on each burn chart"
    );
    assert!(
        dom.contains("<rect class=\"episode\""),
        "the outage's page on its charts"
    );
    assert!(dom.contains("<p class=\"mark no-data\">no data: "), "{dom}");
    let (url, _requests) = serve(project);
    let filtered = chromium(project, &["--dump-dom", &format!("{url}#filter=outage")]);
    assert!(filtered.status.success(), "{filtered:?}");
    let filtered = String::from_utf8_lossy(&filtered.stdout);
    let visible: Vec<&str> = filtered
        .split("<tr data-search=\"")
        .skip(1)
        .filter(|row| !row.split('>').next().unwrap().contains(" hidden"))
        .map(|row| row.split('"').next().unwrap())
        .collect();
    assert_eq!(visible, ["live/outage"], "{filtered}");
    assert!(
        filtered.contains("<span id=\"shown\">1</span> of 7 SLOs"),
        "{filtered}"
    );
    // A fine SLO sits folded with the others; a filter that finds it unfolds them.
    let quiet = chromium(project, &["--dump-dom", &format!("{url}#filter=quarter")]);
    let quiet = String::from_utf8_lossy(&quiet.stdout);
    assert_eq!(
        quiet.matches("<details class=\"fold\" open=\"\">").count(),
        2,
        "{quiet}"
    );
    assert!(
        dom.contains("<details class=\"fold\"><summary>2 SLOs with nothing to look at</summary>"),
        "{dom}"
    );
    if let Some(dir) = std::env::var_os("SLOCC_SCREENSHOTS") {
        for (name, fragment) in [
            ("report-live.png", ""),
            ("report-filtered.png", "#filter=outage"),
        ] {
            let path = std::path::Path::new(&dir).join(name);
            let shot = chromium(
                project,
                &[
                    "--window-size=1280,1600",
                    &format!("--screenshot={}", path.display()),
                    &format!("{url}{fragment}"),
                ],
            );
            assert!(shot.status.success(), "{shot:?}");
        }
    }
}
