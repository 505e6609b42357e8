//! An organisation's settings for what docflow prints for it: the stamp
//! language and the local time shown beside UTC.

use chrono::{FixedOffset, Offset};

pub use docflow_verify::language::{format_utc_offset, zone_label, TASHKENT};

use super::language::StampLanguage;
use super::{invalid, Invalid};

/// UTC+05:00.
pub fn tashkent() -> FixedOffset {
    FixedOffset::east_opt(TASHKENT).unwrap_or_else(|| chrono::Utc.fix())
}

/// Parses `+05:00`, `-03:30` or `+0530`; offsets in use lie within ±14:00.
pub fn parse_utc_offset(text: &str) -> Result<FixedOffset, Invalid> {
    docflow_verify::language::parse_utc_offset(text).map_err(|reason| invalid("utc_offset", reason))
}

/// The organisation's year at `now`: registration numbers restart with it.
pub fn local_year(now: chrono::DateTime<chrono::Utc>, offset: FixedOffset) -> i32 {
    chrono::Datelike::year(&now.with_timezone(&offset))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgSettings {
    pub stamp_language: StampLanguage,
    /// The organisation's local time, as a fixed offset from UTC.
    pub utc_offset: FixedOffset,
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            stamp_language: StampLanguage::default(),
            utc_offset: tashkent(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_format_and_refuse_nonsense() {
        for (text, secs, shown) in [
            ("+05:00", 5 * 3600, "+05:00"),
            ("+0500", 5 * 3600, "+05:00"),
            ("-03:30", -(3 * 3600 + 1800), "-03:30"),
            ("+00:00", 0, "+00:00"),
            ("+14:00", 14 * 3600, "+14:00"),
        ] {
            let o = parse_utc_offset(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(o.local_minus_utc(), secs, "{text}");
            assert_eq!(format_utc_offset(o), shown);
        }
        for bad in [
            "",
            "5",
            "05:00",
            "+5:00",
            "+05:60",
            "+14:30",
            "+25:00",
            "UTC",
            "+05:00:00",
            "+0a:00",
        ] {
            let e = parse_utc_offset(bad).unwrap_err();
            assert_eq!(e.field, "utc_offset", "{bad}");
        }
    }

    #[test]
    fn the_registration_year_is_the_local_one() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap_or_else(|e| panic!("{e}"))
                .with_timezone(&chrono::Utc)
        };
        let new_year_in_tashkent = at("2026-12-31T20:00:00Z");
        assert_eq!(local_year(new_year_in_tashkent, tashkent()), 2027);
        let west = parse_utc_offset("-03:30").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(local_year(new_year_in_tashkent, west), 2026);
        assert_eq!(local_year(at("2027-01-01T02:00:00Z"), west), 2026);
    }

    #[test]
    fn the_zone_is_named_for_tashkent_and_numbered_elsewhere() {
        assert_eq!(
            zone_label(tashkent(), StampLanguage::UzbekLatin),
            "Toshkent"
        );
        assert_eq!(zone_label(tashkent(), StampLanguage::Russian), "Ташкент");
        let moscow = parse_utc_offset("+03:00").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(zone_label(moscow, StampLanguage::English), "UTC+03:00");
        assert_eq!(OrgSettings::default().utc_offset, tashkent());
    }
}
