//! README's configuration reference, generated from the definitions `--help`
//! shows ([`ConfigArgs`]), so that neither can drift from the code: a
//! Markdown table per help heading, the first one untitled (it is the
//! section's own table). A test keeps README.md equal to it. The settings
//! of the benchmark's hooks are left out: the builds the README describes
//! do not have them (`config::bench`).

use clap::{Arg, Args, Command};

use super::{ConfigArgs, bench};

/// How a help text states a default that is not a plain value (see `args`).
const STATED_DEFAULT: &str = " [default: ";

/// The reference: the variable, its default and its meaning, for every
/// setting `--help` lists.
pub fn markdown() -> String {
    let command = ConfigArgs::augment_args(Command::new("tollgate"));
    let mut groups: Vec<(Option<&str>, Vec<&Arg>)> = Vec::new();
    for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
        let heading = arg.get_help_heading();
        if heading == Some(bench::HEADING) {
            continue;
        }
        match groups.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, args)) => args.push(arg),
            None => groups.push((heading, vec![arg])),
        }
    }
    let mut reference = String::new();
    for (index, (heading, args)) in groups.iter().enumerate() {
        if index > 0 {
            reference += &format!("\n### {}\n\n", heading.unwrap_or_default());
        }
        reference += "| variable | default | meaning |\n|---|---|---|\n";
        for arg in args {
            reference += &row(arg);
        }
    }
    reference
}

fn row(arg: &Arg) -> String {
    let variable = arg.get_env().unwrap_or_default().to_string_lossy();
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    // Paragraphs and lines of the help become one table cell.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let (meaning, default) = match help.split_once(STATED_DEFAULT) {
        Some((meaning, stated)) => (meaning, stated.trim_end_matches(']').to_owned()),
        None => (help.as_str(), plain_default(arg)),
    };
    format!(
        "| `{variable}` | {default} | {} |\n",
        meaning.replace('|', "\\|")
    )
}

/// The clap default, or `none`.
fn plain_default(arg: &Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| format!("`{}`", value.to_string_lossy()))
        .collect();
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    }
}
