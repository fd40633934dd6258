//! `oa_verify.json`: GET URL verification.

use wechat::query::Query;
use wechat::signature::{signature, verify_url};

use crate::fixtures::{cases, check_all, load, str_at};

#[test]
fn every_url_verification_vector_is_accepted_or_rejected_as_specified() {
    let file = load("oa_verify.json");
    let token = str_at(&file, "/account/token");
    let cases = cases(&file);
    assert_eq!(cases.len(), 9);
    check_all(cases, |case| {
        let query =
            Query::parse(str_at(case, "/request/query_string")).map_err(|e| e.to_string())?;
        for (name, value) in case["request"]["query"].as_object().expect("query object") {
            if query.get(name) != value.as_str() {
                return Err(format!("query parameter {name} decoded differently"));
            }
        }
        let result = verify_url(token, &query);
        match (str_at(case, "/expected/outcome"), result) {
            ("accept", Ok(echo)) if echo == str_at(case, "/expected/response_body") => Ok(()),
            ("reject", Err(err)) if err.code() == str_at(case, "/expected/reason") => Ok(()),
            (outcome, result) => Err(format!("expected {outcome}, got {result:?}")),
        }
    });
}

#[test]
fn the_computed_signature_of_every_vector_matches_sha1_of_the_sorted_concat() {
    let file = load("oa_verify.json");
    let token = str_at(&file, "/account/token");
    check_all(cases(&file), |case| {
        let query = &case["request"]["query"];
        let (timestamp, nonce) = (str_at(query, "/timestamp"), str_at(query, "/nonce"));
        let mut parts = [token, timestamp, nonce];
        parts.sort_unstable();
        if parts.concat() != str_at(case, "/expected/sorted_concat") {
            return Err("sorted concatenation differs".to_owned());
        }
        let computed = signature(token, timestamp, nonce);
        if computed != str_at(case, "/expected/computed_signature") {
            return Err(format!("computed {computed}"));
        }
        Ok(())
    });
}
