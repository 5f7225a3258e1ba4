//! CLI cases as fixture directories: `tests/cmd/NAME.toml` (arguments and exit code), the
//! working directory `NAME.in/`, and the exact `NAME.stdout` and `NAME.stderr`. A change to any
//! message fails here; `TRYCMD=overwrite cargo test --test cmd` rewrites the expectations for
//! review.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin("slocc", std::path::Path::new(env!("CARGO_BIN_EXE_slocc")))
        .case("tests/cmd/*.toml");
}
