//! The stamp layout `docflow-stamp/1`: what a stamped PDF draws, as a pure
//! function of the original bytes and the proven view.
//!
//! The server draws stamps with [`render`], and `docflow verify` calls the
//! same function on the original and the embedded evidence and requires
//! the file's stamping revision to be exactly those bytes. So every word on
//! a stamp or sheet is one the log or a signature proves, and a changed
//! stamp, sheet, QR code or annotation shows as a difference.

use chrono::{DateTime, Utc};
use docflow_core::evidence::{Bundle, EVIDENCE_NAME};

use crate::language::{zone_label, Phrase, StampLanguage};
use crate::proven::{Outcome, Proven};

fn short(s: &str) -> &str {
    s.get(..16).unwrap_or(s)
}

struct Style {
    lang: StampLanguage,
    offset: chrono::FixedOffset,
}

impl Style {
    fn t(&self, p: Phrase) -> &'static str {
        self.lang.text(p)
    }

    /// UTC, then the organisation's local time (its date too when that
    /// differs).
    fn time(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.offset);
        let local_format = if local.date_naive() == t.date_naive() {
            "%H:%M"
        } else {
            "%Y-%m-%d %H:%M"
        };
        format!(
            "{} UTC ({} {})",
            t.format("%Y-%m-%d %H:%M"),
            local.format(local_format),
            zone_label(self.offset, self.lang)
        )
    }

    fn day(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset).format("%Y-%m-%d").to_string()
    }
}

/// A time as stamps print it, in the given language and local time.
pub fn stamp_time(t: DateTime<Utc>, lang: StampLanguage, offset: chrono::FixedOffset) -> String {
    Style { lang, offset }.time(t)
}

/// The stamps (one per signature on the version, stacked on page 1) and
/// the approval sheet.
pub fn texts(p: &Proven) -> (Vec<docflow_pdf::Stamp>, docflow_pdf::Sheet) {
    let st = Style {
        lang: p.organisation.stamp_language,
        offset: p.organisation.utc_offset,
    };
    let t = |ph| st.t(ph);
    let lang = st.lang;
    let mut stamps = Vec::new();
    let reg = match &p.registration {
        Some(r) => format!("№ {} · {}", r.reg_number, st.day(r.at)),
        None => t(Phrase::NotRegistered).to_owned(),
    };
    let mut sheet = vec![
        format!("{} — {}", p.organisation.name, p.document.title),
        format!(
            "{} {} · {} {} · {reg} · SHA-256 {}",
            t(Phrase::Document),
            p.document.id,
            t(Phrase::Version),
            p.version.number,
            p.version.sha256
        ),
        String::new(),
    ];
    for (n, (_, s)) in p.version_signatures().enumerate() {
        let when = st.time(s.fields.issued_at);
        let key = match s.key.certificate {
            Some(_) => format!("{} {}", t(Phrase::CertificateKey), short(&s.key.id)),
            None => format!("{} {}", t(Phrase::Key), short(&s.key.id)),
        };
        let act = lang.act(
            s.fields.purpose.as_str(),
            s.extra("decision"),
            s.extra("action"),
        );
        stamps.push(vec![
            format!(
                "{act} — {}, {}, {}",
                s.signer.name, s.signer.position, p.organisation.name
            ),
            format!(
                "{when} · {key} · sha256 {} · {} {}",
                short(&p.version.sha256),
                t(Phrase::LedgerEntry),
                s.seq
            ),
        ]);
        let step = s
            .extra("step")
            .map(|x| format!("{} {x}: ", t(Phrase::Step)))
            .unwrap_or_default();
        let behalf = s
            .on_behalf_of
            .as_ref()
            .map(|who| format!(" ({} {})", t(Phrase::OnBehalfOf), who.name))
            .unwrap_or_default();
        sheet.push(format!(
            "{}. {step}{act} — {} ({}){behalf}, {when}",
            n + 1,
            s.signer.name,
            s.signer.position
        ));
        sheet.push(format!(
            "    {key} · {} {} · {}",
            t(Phrase::LedgerEntry),
            s.seq,
            t(Phrase::EvidenceEmbedded)
        ));
    }
    for r in &p.routes {
        sheet.push(String::new());
        sheet.push(format!(
            "{} {}: {}",
            t(Phrase::Route),
            r.id,
            lang.state(r.outcome.name())
        ));
        for (i, stage) in r.stages.iter().enumerate() {
            let steps: Vec<String> = stage
                .steps
                .iter()
                .map(|s| format!("{} ({})", s.assignee.name, lang.state(s.action.as_str())))
                .collect();
            let rule = match stage.rule {
                docflow_flow::route::Rule::All => lang.state("all").to_owned(),
                docflow_flow::route::Rule::Any => lang.state("any").to_owned(),
                docflow_flow::route::Rule::Quorum(n) => format!("{} {n}", t(Phrase::RuleQuorum)),
            };
            let waiting = matches!(r.outcome, Outcome::Active(at) if at == i);
            sheet.push(format!(
                "  {} {} [{rule}]: {}{}",
                t(Phrase::Stage),
                i + 1,
                steps.join(", "),
                if waiting { " …" } else { "" }
            ));
        }
    }
    for res in &p.resolutions {
        sheet.push(String::new());
        sheet.push(format!(
            "{} ({}): {}",
            t(Phrase::Resolution),
            lang.state(&res.state),
            res.instruction
        ));
        sheet.push(format!(
            "  {}: {} · {}: {} · {}: {}",
            t(Phrase::Author),
            res.author.name,
            t(Phrase::Deadline),
            st.day(res.deadline),
            t(Phrase::Controller),
            res.controller.name
        ));
        for x in &res.executors {
            let role = if x.responsible {
                t(Phrase::Responsible)
            } else {
                t(Phrase::CoExecutor)
            };
            let mut line = format!(
                "  {role}: {} — {}, {} {}",
                x.person.name,
                lang.state(&x.state),
                t(Phrase::Deadline),
                st.day(x.deadline)
            );
            if let Some(r) = x.reported {
                line.push_str(&format!(", {} {}", t(Phrase::Reported), st.day(r)));
            }
            if let Some(r) = x.accepted {
                line.push_str(&format!(", {} {}", t(Phrase::Accepted), st.day(r)));
            }
            if x.late {
                line.push_str(&format!(" — {}", t(Phrase::Overdue)));
            }
            sheet.push(line);
        }
        for x in &res.executors {
            if let Some((at, text)) = &x.report {
                let body: String = text.chars().take(400).collect();
                sheet.push(format!(
                    "  {} ({}, {}): {body}",
                    t(Phrase::Report),
                    x.person.name,
                    st.day(*at)
                ));
            }
        }
    }
    sheet.push(String::new());
    sheet.push(format!(
        "{} {} · {}",
        t(Phrase::AsOf),
        p.as_of.0,
        st.time(p.as_of.1)
    ));
    sheet.push(format!(
        "{}: docflow verify FILE --log-key <{}> [--trust-anchors ROOTS.pem]",
        t(Phrase::VerifyOffline),
        p.origin
    ));
    if stamps.is_empty() {
        stamps.push(vec![t(Phrase::NotSigned).to_owned()]);
    }
    // The QR code rides on the first stamp and on the sheet.
    let stamps = stamps
        .into_iter()
        .enumerate()
        .map(|(i, lines)| docflow_pdf::Stamp {
            page: 0,
            lines,
            qr: (i == 0).then(|| p.qr.clone()),
        })
        .collect();
    let sheet = docflow_pdf::Sheet {
        heading: t(Phrase::SheetHeading).to_owned(),
        title: p.document.title.clone(),
        lines: sheet,
        qr: Some(p.qr.clone()),
    };
    (stamps, sheet)
}

/// The stamped PDF: `original`, then one incremental update with the
/// stamps, the sheet and the bundle embedded, all from `bundle` and the
/// view built from it.
pub fn render(
    original: &[u8],
    bundle: &Bundle,
    proven: &Proven,
) -> Result<Vec<u8>, docflow_pdf::PdfError> {
    let (stamps, sheet) = texts(proven);
    docflow_pdf::stamp(
        original,
        &stamps,
        Some(&sheet),
        Some(&docflow_pdf::Attachment {
            name: EVIDENCE_NAME.to_owned(),
            mime: "application/json".to_owned(),
            description: "docflow evidence bundle (docflow-evidence/2)".to_owned(),
            data: bundle.to_json().into_bytes(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::parse_utc_offset;

    #[test]
    fn stamp_times_show_utc_then_local_time_with_its_date_when_it_differs() {
        let t = DateTime::parse_from_rfc3339("2026-12-31T21:10:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        let tashkent = parse_utc_offset("+05:00").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stamp_time(t, StampLanguage::UzbekCyrillic, tashkent),
            "2026-12-31 21:10 UTC (2027-01-01 02:10 Тошкент)"
        );
        let west = parse_utc_offset("-03:30").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stamp_time(t, StampLanguage::English, west),
            "2026-12-31 21:10 UTC (17:40 UTC-03:30)"
        );
    }
}
