//! The language of stamps and approval sheets, chosen per organisation.
//! The phrases live in `docflow-verify`, because the offline verifier
//! redraws stamps with exactly the text the server drew.

pub use docflow_verify::language::{Phrase, StampLanguage};

use super::{invalid, Invalid};

/// Parses a stamp language tag (case-insensitively, as BCP 47 compares).
pub fn parse_stamp_language(tag: &str) -> Result<StampLanguage, Invalid> {
    StampLanguage::parse(tag).ok_or_else(|| {
        invalid(
            "stamp_language",
            format!("unknown language {tag:?}; use one of uz-Cyrl, uz-Latn, ru, en"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_tag_names_the_field() {
        let err = parse_stamp_language("uz").unwrap_err();
        assert_eq!(err.field, "stamp_language");
        assert!(parse_stamp_language("RU").is_ok());
    }
}
