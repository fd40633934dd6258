//! Loading the JSON vectors copied into `wechat/fixtures/`.

use serde_json::Value;

/// Reads `fixtures/<name>` from this crate.
pub fn load(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// The string at a JSON pointer, failing the test if absent.
pub fn str_at<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("fixture has no string at {pointer}"))
}

/// The cases array of a fixture file.
pub fn cases(file: &Value) -> &Vec<Value> {
    file["cases"].as_array().expect("fixture has cases")
}

/// A 16-byte prefix from hex.
pub fn prefix(hex_prefix: &str) -> [u8; 16] {
    let bytes = hex::decode(hex_prefix).expect("prefix is hex");
    bytes.try_into().expect("prefix is 16 bytes")
}

/// Runs `check` on every case and fails once, listing every failing case.
pub fn check_all(cases: &[Value], mut check: impl FnMut(&Value) -> Result<(), String>) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("{}: {why}", str_at(case, "/name")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
}
