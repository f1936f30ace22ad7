//! README's configuration reference is what the code generates, and
//! `--help` lists the same variables, so that neither drifts from the code.

use std::{env, fs};

use crate::binary::{stderr, tollgate};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
const BEGIN: &str = "<!-- config-reference:begin -->\n";
const END: &str = "<!-- config-reference:end -->";
const REGENERATE: &str = "UPDATE_README=1 cargo test --test api config_reference";

/// README.md's text before, inside and after the reference's markers.
fn readme_parts() -> (String, String, String) {
    let readme = fs::read_to_string(README).unwrap();
    let (before, rest) = readme
        .split_once(BEGIN)
        .expect("README.md has the begin marker");
    let (inside, after) = rest.split_once(END).expect("README.md has the end marker");
    (before.to_owned(), inside.to_owned(), after.to_owned())
}

/// The variables of README's reference, in order.
fn readme_variables() -> Vec<String> {
    let (_, reference, _) = readme_parts();
    reference
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|row| row.split_once('`'))
        .map(|(variable, _)| variable.to_owned())
        .collect()
}

#[test]
fn readme_configuration_reference_is_generated_from_the_code() {
    let (before, written, after) = readme_parts();
    let generated = tollgate::config::reference::markdown();
    if written != generated && env::var_os("UPDATE_README").is_some() {
        fs::write(README, format!("{before}{BEGIN}{generated}{END}{after}")).unwrap();
        return;
    }
    assert_eq!(
        written, generated,
        "README.md's configuration reference differs from the code; run `{REGENERATE}`"
    );
}

#[test]
fn help_lists_every_variable_of_the_reference() {
    let output = tollgate(&["--help"], &[], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let help = String::from_utf8(output.stdout).unwrap();

    // `[env: NAME=value]`, or `[env: NAME]` for a secret.
    let listed: Vec<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_owned)
        .collect();

    assert_eq!(listed, readme_variables());
}
