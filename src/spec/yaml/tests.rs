//! Tests of the parent module.

use super::*;
use crate::diag::Code;

#[test]
fn deep_or_huge_files_are_errors_not_stack_overflows() {
    let mut diags = Diagnostics::default();
    let deep: String = (0..2_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i * 2)))
        .collect();
    assert!(load_documents(0, &deep, &mut diags).is_empty());
    let flow = format!("a: {}1{}\n", "[".repeat(35_000), "]".repeat(35_000));
    assert!(load_documents(0, &flow, &mut diags).is_empty());
    let lines = format!("a: {}1{}\n", "[\n".repeat(35_000), "]".repeat(35_000));
    assert!(load_documents(0, &lines, &mut diags).is_empty());
    let huge = format!("a: '{}'\n", "x".repeat(MAX_SPEC_BYTES));
    assert!(load_documents(0, &huge, &mut diags).is_empty());
    let codes: Vec<String> = diags.sorted().iter().map(|d| d.code.to_string()).collect();
    assert_eq!(codes, ["too-large", "too-deep", "too-deep", "too-deep"]);
}

#[test]
fn a_byte_order_mark_at_the_start_is_allowed() {
    let mut diags = Diagnostics::default();
    let docs = load_documents(0, "\u{feff}apiVersion: slocc/v1\n", &mut diags);
    assert_eq!(
        docs[0].root.get_scalar("apiVersion").unwrap().as_str(),
        "slocc/v1"
    );
}

#[test]
fn positions_are_one_based_file_positions() {
    let mut diags = Diagnostics::default();
    let docs = load_documents(0, "a: 1\nb:\n  c: x\n", &mut diags);
    assert_eq!(diags.counts(), (0, 0));
    let fields = Fields::new(&docs[0].root, docs[0].location, "test");
    let (inner, loc) = fields.mapping("b", &mut diags).unwrap();
    assert_eq!((loc.line, loc.column), (3, 3));
    let c = Fields::new(inner, loc, "b")
        .string("c", &mut diags)
        .unwrap();
    assert_eq!((c.location.line, c.location.column), (3, 6));
}

#[test]
fn multiple_documents_keep_file_line_numbers() {
    let mut diags = Diagnostics::default();
    let docs = load_documents(0, "a: 1\n---\nb: 2\n---\n# only a comment\n", &mut diags);
    assert_eq!(diags.counts(), (0, 0), "{diags:?}");
    assert_eq!(docs.len(), 2);
    let b = Fields::new(&docs[1].root, docs[1].location, "t")
        .string("b", &mut diags)
        .unwrap();
    assert_eq!(b.location.line, 3);
}

#[test]
fn empty_and_comment_only_files_are_empty_specs() {
    for text in ["", "\n\n", "# nothing\n", "---\n"] {
        let mut diags = Diagnostics::default();
        assert!(load_documents(0, text, &mut diags).is_empty());
        assert_eq!(diags.sorted()[0].code, Code::EmptySpec, "{text:?}");
    }
}

#[test]
fn syntax_errors_and_duplicate_keys_point_at_the_line() {
    let mut diags = Diagnostics::default();
    load_documents(0, "a: 1\nb: [1, 2\n", &mut diags);
    assert_eq!(diags.sorted()[0].code, Code::YamlSyntax);

    let mut diags = Diagnostics::default();
    load_documents(0, "a: 1\nb: 2\na: 3\n", &mut diags);
    let d = diags.sorted()[0];
    assert_eq!(d.code, Code::DuplicateKey);
    assert_eq!(d.location.unwrap().line, 3);
    assert!(d.message.contains("first set on line 1"));
}

#[test]
fn non_mapping_documents_are_wrong_type() {
    let mut diags = Diagnostics::default();
    load_documents(0, "- a\n- b\n", &mut diags);
    assert_eq!(diags.sorted()[0].code, Code::WrongType);
}

#[test]
fn unknown_keys_get_did_you_mean() {
    let mut diags = Diagnostics::default();
    let docs = load_documents(0, "servce: x\n", &mut diags);
    Fields::new(&docs[0].root, docs[0].location, "the spec")
        .deny_unknown(&["service", "slos"], &mut diags);
    let d = diags.sorted()[0];
    assert_eq!(d.code, Code::UnknownKey);
    assert_eq!(d.hint, "did you mean `service`?");
}
