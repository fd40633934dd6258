//! `cargo xtask fuzz <envelope|xml|all> [--seconds N]`: runs the cargo-fuzz
//! targets in `wechat/fuzz` on nightly for a fixed time each, after seeding
//! their corpora from the protocol vectors in `wechat/fixtures`.
//!
//! Corpora and crash artifacts stay in `wechat/fuzz/{corpus,artifacts}` (both
//! ignored by git); the build goes to `$CARGO_TARGET_DIR/fuzz`, so the
//! sanitizer build never invalidates the normal one.

use crate::{step, target_dir, tools};
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGETS: [&str; 2] = ["envelope", "xml"];
const DEFAULT_SECONDS: u64 = 60;
const USAGE: &str = "usage: cargo xtask fuzz <envelope|xml|all> [--seconds N]";

/// Which JSON string fields of the fixtures seed which target.
fn seed_keys(target: &str) -> &'static [&'static str] {
    match target {
        // Safe-mode bodies and bare `Encrypt` texts (same key and app id as the target).
        "envelope" => &["body", "encrypt", "echostr", "envelope_wechatpy"],
        // Every callback and reply XML document.
        _ => &[
            "body",
            "decrypted_xml",
            "reply_plaintext_xml",
            "envelope_wechatpy",
        ],
    }
}

/// What one libFuzzer run reported.
#[derive(Default)]
struct Report {
    target: String,
    execs: Option<u64>,
    execs_per_sec: Option<u64>,
    new_units: Option<u64>,
    last_status: Option<String>,
    seconds: Option<u64>,
    artifacts: Vec<PathBuf>,
    failure: Option<String>,
}

pub fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let (targets, seconds) = parse_args(args)?;
    let build_dir = target_dir().join("fuzz");
    tools::ensure_fuzz_tools(&build_dir)?;
    let crate_dir = root.join("wechat");
    let fuzz_dir = crate_dir.join("fuzz");
    let mut reports = Vec::new();
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        let seeded = seed_corpus(&root.join("wechat").join("fixtures"), &corpus, target)?;
        step(&format!(
            "Fuzzing {target} for {seconds} s (cargo +nightly fuzz run {target}; {seeded} new seeds from wechat/fixtures)"
        ));
        reports.push(run_target(
            &crate_dir, &fuzz_dir, &build_dir, target, seconds,
        )?);
    }

    step("Fuzzing summary");
    for r in &reports {
        let figure = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        println!(
            "{}: {} execs in {} s ({} exec/s), {} new corpus units{}",
            r.target,
            figure(r.execs),
            figure(r.seconds),
            figure(r.execs_per_sec),
            figure(r.new_units),
            r.last_status
                .as_deref()
                .map(|s| format!("; final: {s}"))
                .unwrap_or_default(),
        );
        match &r.failure {
            None => println!("  no crash"),
            Some(why) => println!("  FAILED: {why}"),
        }
        for artifact in &r.artifacts {
            println!("  artifact: {}", artifact.display());
            println!(
                "  reproduce: (cd wechat && cargo +nightly fuzz run {} {})",
                r.target,
                artifact.display()
            );
        }
    }
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| r.target.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("fuzzing found a failure in: {}", failed.join(", "));
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<(Vec<&'static str>, u64)> {
    let mut targets = None;
    let mut seconds = DEFAULT_SECONDS;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = iter.next().context(USAGE)?;
                seconds =
                    value.parse().ok().filter(|s| *s > 0).with_context(|| {
                        format!("--seconds wants a positive number, not {value:?}")
                    })?;
            }
            "all" if targets.is_none() => targets = Some(TARGETS.to_vec()),
            name if targets.is_none() => match TARGETS.iter().find(|t| **t == name) {
                Some(t) => targets = Some(vec![*t]),
                None => bail!("unknown fuzz target {name:?}\n{USAGE}"),
            },
            other => bail!("unexpected argument {other:?}\n{USAGE}"),
        }
    }
    let Some(targets) = targets else { bail!(USAGE) };
    Ok((targets, seconds))
}

/// Builds and runs one target; a crash, timeout or OOM is a failed report,
/// not an error, so `all` still runs the other targets.
fn run_target(
    crate_dir: &Path,
    fuzz_dir: &Path,
    build_dir: &Path,
    target: &str,
    seconds: u64,
) -> Result<Report> {
    let artifact_dir = fuzz_dir.join("artifacts").join(target);
    let before = files_in(&artifact_dir);
    // The rustup proxy, not $CARGO (which is the stable cargo running xtask).
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "fuzz", "run", target, "--"])
        .arg(format!("-max_total_time={seconds}"))
        // A hang must show up as a `timeout-` artifact within the time budget.
        .arg("-timeout=10")
        .arg("-print_final_stats=1")
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", build_dir)
        .stderr(Stdio::piped());
    let shown = format!("{command:?}");
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let mut report = Report {
        target: target.to_owned(),
        ..Report::default()
    };
    // libFuzzer reports on stderr: pass it through and pick the figures out.
    if let Some(stderr) = child.stderr.take() {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        let mut out = std::io::stderr().lock();
        while reader.read_until(b'\n', &mut line)? > 0 {
            let _ = out.write_all(&line);
            parse_line(&String::from_utf8_lossy(&line), &mut report);
            line.clear();
        }
    }
    let status = child.wait().with_context(|| format!("{shown} vanished"))?;
    let after = files_in(&artifact_dir);
    report.artifacts = after.difference(&before).cloned().collect();
    if !status.success() {
        report.failure = Some(if report.artifacts.is_empty() {
            format!("{shown} exited with {status} and wrote no artifact (build failure?)")
        } else {
            format!("libFuzzer stopped with {status}")
        });
    }
    Ok(report)
}

fn parse_line(line: &str, report: &mut Report) {
    let line = line.trim();
    let number = |s: &str| s.trim().parse::<u64>().ok();
    if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
        report.execs = number(v);
    } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
        report.execs_per_sec = number(v);
    } else if let Some(v) = line.strip_prefix("stat::new_units_added:") {
        report.new_units = number(v);
    } else if let Some(rest) = line.strip_prefix("Done ") {
        // "Done 123456 runs in 21 second(s)"
        let words: Vec<&str> = rest.split_whitespace().collect();
        if let [runs, "runs", "in", secs, ..] = words.as_slice() {
            report.execs = report.execs.or_else(|| number(runs));
            report.seconds = number(secs);
        }
    } else if line.starts_with('#') && line.contains("cov:") {
        // "#123456 DONE cov: 812 ft: 2301 corp: 240/18Kb lim: 4096 exec/s: 6100 rss: 80Mb"
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        report.last_status = Some(words.join(" "));
    }
}

fn files_in(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default()
}

/// Writes every fixture string under the target's keys into its corpus, named
/// by content hash so re-seeding adds nothing twice. Returns how many were new.
fn seed_corpus(fixtures: &Path, corpus: &Path, target: &str) -> Result<usize> {
    std::fs::create_dir_all(corpus)
        .with_context(|| format!("cannot create {}", corpus.display()))?;
    let mut new = 0;
    let mut files: Vec<PathBuf> = files_in(fixtures)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let json = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for key in seed_keys(target) {
            for value in string_values(&json, key) {
                if value.is_empty() {
                    continue;
                }
                let path = corpus.join(format!("seed-{:016x}", fnv1a(value.as_bytes())));
                if !path.exists() {
                    std::fs::write(&path, &value)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    new += 1;
                }
            }
        }
    }
    Ok(new)
}

/// The string values of `"key": "..."` anywhere in a JSON text, unescaped.
/// Enough for the fixtures without a JSON dependency in xtask.
fn string_values(json: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\":");
    let mut values = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find(&needle) {
        rest = rest[at + needle.len()..].trim_start();
        if let Some(body) = rest.strip_prefix('"') {
            if let Some((value, used)) = unescape(body) {
                values.push(value);
                rest = &body[used..];
            }
        }
    }
    values
}

/// Reads a JSON string body up to its closing quote; returns the text and the
/// bytes consumed (including the quote).
fn unescape(body: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => {
                        let first = hex4(&mut chars)?;
                        let code = if (0xD800..0xDC00).contains(&first) {
                            // A surrogate pair: the low half follows as `\uXXXX`.
                            chars.next()?;
                            chars.next()?;
                            let low = hex4(&mut chars)?.checked_sub(0xDC00)?;
                            0x10000 + ((first - 0xD800) << 10) + low
                        } else {
                            first
                        };
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let hex: String = chars.take(4).map(|(_, h)| h).collect();
    u32::from_str_radix(&hex, 16).ok()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
