//! Entry points for the coverage-guided fuzz targets in `fuzz/` (`cargo fuzz`, README): each
//! input reader on its own, whatever the document's header says, and the whole compile. Not an
//! API: hidden from the documentation, used by the fuzz crate and by the test that replays the
//! inputs the fuzzers found (`fuzz/regressions/`).

use crate::diag::{Diagnostics, Sources};
use crate::model::validate::{validate_service, validate_settings};
use crate::spec::import::{Format, Reader};

/// The reader a fuzz target drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `slocc/v1` service specs.
    Native,
    /// Sloth's `prometheus/v1` files, its `PrometheusServiceLevel` resource and `AlertWindows`.
    Sloth,
    /// Pyrra's `ServiceLevelObjective`.
    Pyrra,
    /// OpenSLO `v1` and `v1alpha` documents, read together.
    OpenSlo,
    /// The `kind: Settings` document.
    Settings,
}

impl Target {
    /// Every target, with the name of its fuzz target and regression directory.
    pub const ALL: &'static [(&'static str, Target)] = &[
        ("native", Target::Native),
        ("sloth", Target::Sloth),
        ("pyrra", Target::Pyrra),
        ("openslo", Target::OpenSlo),
        ("settings", Target::Settings),
    ];

    fn formats(self) -> &'static [&'static Format] {
        use crate::spec::import::{openslo, pyrra, sloth, sloth_windows};
        match self {
            Self::Native => &[&crate::spec::FORMAT],
            Self::Sloth => &[
                &sloth::FILE_FORMAT,
                &sloth::CRD_FORMAT,
                &sloth_windows::FORMAT,
            ],
            Self::Pyrra => &[&pyrra::FORMAT],
            Self::OpenSlo => &[&openslo::FORMAT],
            Self::Settings => &[&crate::spec::settings::FORMAT],
        }
    }
}

/// `data` as UTF-8 text, the way the pipeline reads files (a file that is not UTF-8 is
/// reported before any reader sees it, so the readers only ever get text).
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Reads every document of `data` with `target`'s reader (the first of its formats, or the
/// one the document's header names), then validates what was read and renders the
/// diagnostics. Panics only where slocc has a bug.
pub fn read(target: Target, data: &[u8]) {
    let mut sources = Sources::default();
    let id = sources.add("fuzz.yaml".to_string(), text(data));
    let mut diags = Diagnostics::default();
    let documents = crate::spec::yaml::load_documents(id, &sources.files()[id].text, &mut diags);
    let (mut specs, mut settings, mut together) = (Vec::new(), Vec::new(), Vec::new());
    for document in documents {
        let mut probe = Diagnostics::default();
        let named = crate::spec::import::classify(&document, &mut probe)
            .map(|id| &crate::spec::import::FORMATS[id]);
        let formats = target.formats();
        let format = formats
            .iter()
            .find(|f| named.is_some_and(|n| n.describe == f.describe))
            .unwrap_or(&formats[0]);
        match format.reader {
            Reader::Single(read) => specs.extend(read(&document, &mut diags)),
            Reader::Settings(read) => settings.extend(read(&document, &mut diags)),
            Reader::Together(read) => together.push((read, document)),
        }
    }
    if let Some((read, _)) = together.first() {
        let read = *read;
        let documents: Vec<_> = together.into_iter().map(|(_, d)| d).collect();
        specs.extend(read(&documents, &mut diags));
    }
    let settings = validate_settings(&settings, &mut diags);
    for spec in &specs {
        let _ = validate_service(spec, "fuzz.yaml", &settings, &mut diags);
    }
    let _ = crate::diag::render(&diags, &sources, crate::diag::Format::Human, false);
}

/// Everything a user's input reaches: `data` split into files at each line `#%%` (a compile
/// reads several files; OpenSLO documents refer to each other across them), read, validated
/// and, when valid, compiled for every target into memory.
pub fn compile(data: &[u8]) {
    let text = text(data);
    let mut sources = Sources::default();
    for (i, file) in text.split("\n#%%\n").enumerate() {
        sources.add(format!("f{i}.yaml"), file.to_string());
    }
    let checked = crate::model::check::check_sources(sources);
    let _ = crate::diag::render(
        &checked.diagnostics,
        &checked.sources,
        crate::diag::Format::Human,
        false,
    );
    if checked.failed() {
        return;
    }
    for target in <crate::emit::targets::Target as clap::ValueEnum>::value_variants() {
        let templates = crate::emit::templates::Templates::builtin().expect("built-in templates");
        let options = crate::emit::targets::TargetOptions::new(*target);
        let cx = crate::emit::Context::new(templates, options);
        let _ = crate::pipeline::build(&checked.services, &cx, true);
    }
}
