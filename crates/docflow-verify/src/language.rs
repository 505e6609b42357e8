//! The language of stamps and approval sheets, chosen per organisation.
//!
//! Uzbek is written in both scripts in government offices, Russian is still
//! common in correspondence, and English serves foreign counterparts. Every
//! phrase a stamp or sheet prints is here, in all four, so adding a phrase
//! without translating it does not compile.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

/// A stamp language, named by its BCP 47 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum StampLanguage {
    /// Uzbek in Cyrillic script (`uz-Cyrl`), the default.
    #[default]
    #[serde(rename = "uz-Cyrl")]
    UzbekCyrillic,
    /// Uzbek in Latin script (`uz-Latn`).
    #[serde(rename = "uz-Latn")]
    UzbekLatin,
    /// Russian (`ru`).
    #[serde(rename = "ru")]
    Russian,
    /// English (`en`).
    #[serde(rename = "en")]
    English,
}

impl StampLanguage {
    pub const ALL: [StampLanguage; 4] = [
        StampLanguage::UzbekCyrillic,
        StampLanguage::UzbekLatin,
        StampLanguage::Russian,
        StampLanguage::English,
    ];

    pub fn tag(self) -> &'static str {
        match self {
            StampLanguage::UzbekCyrillic => "uz-Cyrl",
            StampLanguage::UzbekLatin => "uz-Latn",
            StampLanguage::Russian => "ru",
            StampLanguage::English => "en",
        }
    }

    /// Parses a tag; BCP 47 tags compare case-insensitively.
    pub fn parse(tag: &str) -> Option<StampLanguage> {
        StampLanguage::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    fn index(self) -> usize {
        match self {
            StampLanguage::UzbekCyrillic => 0,
            StampLanguage::UzbekLatin => 1,
            StampLanguage::Russian => 2,
            StampLanguage::English => 3,
        }
    }

    /// The phrase in this language.
    pub fn text(self, phrase: Phrase) -> &'static str {
        phrase.forms()[self.index()]
    }

    /// What a signature did, from its statement: the route decision if it
    /// has one, else the resolution action, else the purpose. Unknown names
    /// (a newer statement kind) are printed as they are.
    pub fn act<'a>(
        self,
        purpose: &'a str,
        decision: Option<&'a str>,
        resolution_action: Option<&'a str>,
    ) -> &'a str {
        let phrase = match (decision, resolution_action, purpose) {
            (Some(d), _, _) => Phrase::decision(d),
            (None, Some(a), _) => Phrase::resolution_action(a),
            (None, None, p) => Phrase::purpose(p),
        };
        match phrase {
            Some(p) => self.text(p),
            None => decision.or(resolution_action).unwrap_or(purpose),
        }
    }

    /// A state or rule name from the flow model (route, stage rule, step
    /// action, resolution, assignment), or the name itself if unknown.
    pub fn state(self, name: &str) -> &str {
        match Phrase::state(name) {
            Some(p) => self.text(p),
            None => name,
        }
    }
}

impl std::fmt::Display for StampLanguage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// Every phrase printed on stamps and sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    SheetHeading,
    Document,
    Version,
    NotRegistered,
    Stage,
    Step,
    OnBehalfOf,
    Key,
    CertificateKey,
    LedgerEntry,
    EvidenceEmbedded,
    Route,
    VerifyOffline,
    NotSigned,
    LocalTimeZone,
    AsOf,
    Resolution,
    Author,
    Controller,
    Deadline,
    Responsible,
    CoExecutor,
    Reported,
    Accepted,
    Overdue,
    Report,
    // What a signature did.
    Approved,
    ApprovedWithRemarks,
    Rejected,
    ReturnedForRevision,
    Signed,
    Acknowledged,
    ResolutionSigned,
    ExecutionReport,
    ReportAccepted,
    ReportReturned,
    ExtensionRequested,
    ExtensionApproved,
    ExtensionRefused,
    // States, rules and step actions.
    StateActive,
    StateApproved,
    StateRejected,
    StateReturned,
    StateCancelled,
    StateDraft,
    StateExecuted,
    StateAssigned,
    StateReported,
    StateOnRework,
    RuleAll,
    RuleAny,
    RuleQuorum,
    ActionApprove,
    ActionSign,
    ActionAcknowledge,
}

impl Phrase {
    /// uz-Cyrl, uz-Latn, ru, en.
    fn forms(self) -> [&'static str; 4] {
        use Phrase::*;
        match self {
            SheetHeading => [
                "Келишув варақаси",
                "Kelishuv varaqasi",
                "Лист согласования",
                "Approval sheet",
            ],
            Document => ["Ҳужжат", "Hujjat", "Документ", "Document"],
            Version => ["версия", "versiya", "версия", "version"],
            NotRegistered => [
                "рўйхатга олинмаган",
                "roʻyxatga olinmagan",
                "не зарегистрирован",
                "not registered",
            ],
            Stage => ["босқич", "bosqich", "этап", "stage"],
            Step => ["қадам", "qadam", "шаг", "step"],
            OnBehalfOf => ["ўрнига", "oʻrniga", "вместо", "on behalf of"],
            Key => ["калит", "kalit", "ключ", "key"],
            CertificateKey => [
                "сертификат калити",
                "sertifikat kaliti",
                "ключ сертификата",
                "certificate key",
            ],
            LedgerEntry => [
                "журнал ёзуви",
                "jurnal yozuvi",
                "запись журнала",
                "ledger entry",
            ],
            EvidenceEmbedded => [
                "имзо ва журнал квитанцияси файлга илова қилинган",
                "imzo va jurnal kvitansiyasi faylga ilova qilingan",
                "подпись и квитанция журнала вложены в файл",
                "signature and log receipt embedded",
            ],
            Route => ["Йўналиш", "Yoʻnalish", "Маршрут", "Route"],
            VerifyOffline => [
                "Тармоқсиз текшириш",
                "Tarmoqsiz tekshirish",
                "Проверка без сети",
                "Verify offline",
            ],
            NotSigned => ["ИМЗОЛАНМАГАН", "IMZOLANMAGAN", "НЕ ПОДПИСАН", "NOT SIGNED"],
            LocalTimeZone => ["Тошкент", "Toshkent", "Ташкент", "Tashkent"],
            AsOf => [
                "Ҳолат журнал ёзуви бўйича",
                "Holat jurnal yozuvi boʻyicha",
                "Состояние на запись журнала",
                "State as of ledger entry",
            ],
            Resolution => ["Резолюция", "Rezolyutsiya", "Резолюция", "Resolution"],
            Author => ["муаллиф", "muallif", "автор", "author"],
            Controller => ["назоратчи", "nazoratchi", "контролёр", "controller"],
            Deadline => ["муддат", "muddat", "срок", "deadline"],
            Responsible => ["масъул", "masʼul", "ответственный", "responsible"],
            CoExecutor => ["ҳамижрочи", "hamijrochi", "соисполнитель", "co-executor"],
            Reported => [
                "ҳисобот берилди",
                "hisobot berildi",
                "отчёт представлен",
                "reported",
            ],
            Accepted => ["қабул қилинди", "qabul qilindi", "принято", "accepted"],
            Overdue => ["муддати ўтган", "muddati oʻtgan", "просрочено", "overdue"],
            Report => ["Ҳисобот", "Hisobot", "Отчёт", "Report"],
            Approved => ["КЕЛИШИЛДИ", "KELISHILDI", "СОГЛАСОВАНО", "APPROVED"],
            ApprovedWithRemarks => [
                "ИЗОҲ БИЛАН КЕЛИШИЛДИ",
                "IZOH BILAN KELISHILDI",
                "СОГЛАСОВАНО С ЗАМЕЧАНИЯМИ",
                "APPROVED WITH REMARKS",
            ],
            Rejected => ["РАД ЭТИЛДИ", "RAD ETILDI", "ОТКЛОНЕНО", "REJECTED"],
            ReturnedForRevision => [
                "ҚАЙТА ИШЛАШГА ҚАЙТАРИЛДИ",
                "QAYTA ISHLASHGA QAYTARILDI",
                "ВОЗВРАЩЕНО НА ДОРАБОТКУ",
                "RETURNED FOR REVISION",
            ],
            Signed => ["ИМЗОЛАНДИ", "IMZOLANDI", "ПОДПИСАНО", "SIGNED"],
            Acknowledged => [
                "ТАНИШИБ ЧИҚИЛДИ",
                "TANISHIB CHIQILDI",
                "ОЗНАКОМЛЕН",
                "ACKNOWLEDGED",
            ],
            ResolutionSigned => ["РЕЗОЛЮЦИЯ", "REZOLYUTSIYA", "РЕЗОЛЮЦИЯ", "RESOLUTION"],
            ExecutionReport => [
                "ИЖРО ҲИСОБОТИ",
                "IJRO HISOBOTI",
                "ОТЧЁТ ОБ ИСПОЛНЕНИИ",
                "EXECUTION REPORT",
            ],
            ReportAccepted => ["ҚАБУЛ ҚИЛИНДИ", "QABUL QILINDI", "ПРИНЯТО", "ACCEPTED"],
            ReportReturned => ["ҚАЙТАРИЛДИ", "QAYTARILDI", "ВОЗВРАЩЕНО", "RETURNED"],
            ExtensionRequested => [
                "МУДДАТНИ УЗАЙТИРИШ СЎРОВИ",
                "MUDDATNI UZAYTIRISH SOʻROVI",
                "ЗАПРОС ПРОДЛЕНИЯ СРОКА",
                "EXTENSION REQUESTED",
            ],
            ExtensionApproved => [
                "МУДДАТ УЗАЙТИРИЛДИ",
                "MUDDAT UZAYTIRILDI",
                "СРОК ПРОДЛЁН",
                "EXTENSION APPROVED",
            ],
            ExtensionRefused => [
                "МУДДАТНИ УЗАЙТИРИШ РАД ЭТИЛДИ",
                "MUDDATNI UZAYTIRISH RAD ETILDI",
                "В ПРОДЛЕНИИ СРОКА ОТКАЗАНО",
                "EXTENSION REFUSED",
            ],
            StateActive => ["жараёнда", "jarayonda", "в работе", "active"],
            StateApproved => ["келишилган", "kelishilgan", "согласован", "approved"],
            StateRejected => ["рад этилган", "rad etilgan", "отклонён", "rejected"],
            StateReturned => [
                "қайта ишлашга қайтарилган",
                "qayta ishlashga qaytarilgan",
                "возвращён на доработку",
                "returned for revision",
            ],
            StateCancelled => ["бекор қилинган", "bekor qilingan", "отменён", "cancelled"],
            StateDraft => ["лойиҳа", "loyiha", "проект", "draft"],
            StateExecuted => ["ижро этилган", "ijro etilgan", "исполнено", "executed"],
            StateAssigned => ["ижрода", "ijroda", "на исполнении", "assigned"],
            StateReported => [
                "ҳисобот берилган",
                "hisobot berilgan",
                "отчёт представлен",
                "reported",
            ],
            StateOnRework => [
                "қайта ишланмоқда",
                "qayta ishlanmoqda",
                "на доработке",
                "on rework",
            ],
            RuleAll => ["ҳаммаси", "hammasi", "все", "all"],
            RuleAny => ["исталган бири", "istalgan biri", "любой", "any"],
            RuleQuorum => ["кворум", "kvorum", "кворум", "quorum"],
            ActionApprove => ["келишиш", "kelishish", "согласование", "approve"],
            ActionSign => ["имзолаш", "imzolash", "подписание", "sign"],
            ActionAcknowledge => ["танишиш", "tanishish", "ознакомление", "acknowledge"],
        }
    }

    /// A route decision, as named in statements (`decision:` line).
    fn decision(name: &str) -> Option<Phrase> {
        Some(match name {
            "approve" => Phrase::Approved,
            "approve-with-remarks" => Phrase::ApprovedWithRemarks,
            "reject" => Phrase::Rejected,
            "return-for-revision" => Phrase::ReturnedForRevision,
            "sign" => Phrase::Signed,
            "acknowledge" => Phrase::Acknowledged,
            _ => return None,
        })
    }

    /// A resolution action, as named in statements (`action:` line).
    fn resolution_action(name: &str) -> Option<Phrase> {
        Some(match name {
            "sign" => Phrase::ResolutionSigned,
            "report" => Phrase::ExecutionReport,
            "accept" => Phrase::ReportAccepted,
            "return" => Phrase::ReportReturned,
            "request-extension" => Phrase::ExtensionRequested,
            "approve-extension" => Phrase::ExtensionApproved,
            "refuse-extension" => Phrase::ExtensionRefused,
            _ => return None,
        })
    }

    /// A statement purpose (`purpose:` line) with no decision or action:
    /// the decision purposes read as their decisions.
    fn purpose(name: &str) -> Option<Phrase> {
        Phrase::decision(name).or(match name {
            "resolution" => Some(Phrase::ResolutionSigned),
            "report" => Some(Phrase::ExecutionReport),
            "accept" => Some(Phrase::ReportAccepted),
            _ => None,
        })
    }

    fn state(name: &str) -> Option<Phrase> {
        Some(match name {
            "active" => Phrase::StateActive,
            "approved" => Phrase::StateApproved,
            "rejected" => Phrase::StateRejected,
            "returned" => Phrase::StateReturned,
            "cancelled" => Phrase::StateCancelled,
            "draft" => Phrase::StateDraft,
            "executed" => Phrase::StateExecuted,
            "assigned" => Phrase::StateAssigned,
            "reported" => Phrase::StateReported,
            "on-rework" => Phrase::StateOnRework,
            "all" => Phrase::RuleAll,
            "any" => Phrase::RuleAny,
            "approve" => Phrase::ActionApprove,
            "sign" => Phrase::ActionSign,
            "acknowledge" => Phrase::ActionAcknowledge,
            _ => return None,
        })
    }
}

/// Seconds east of UTC of Tashkent (UTC+05:00, no daylight saving time).
pub const TASHKENT: i32 = 5 * 3600;

/// Parses `+05:00`, `-03:30` or `+0530`; offsets in use lie within ±14:00.
pub fn parse_utc_offset(text: &str) -> Result<FixedOffset, String> {
    let bad = || format!("{text:?} is not a UTC offset such as +05:00");
    let t = text.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return Err(bad());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: i32 = digits[2..].parse().map_err(|_| bad())?;
    if minutes >= 60 || hours * 60 + minutes > 14 * 60 {
        return Err(format!("{text:?} is outside -14:00..+14:00"));
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)
}

/// `+05:00`, the form stored and shown.
pub fn format_utc_offset(offset: FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// How a stamp names the local time: the city for Tashkent, else the offset.
pub fn zone_label(offset: FixedOffset, lang: StampLanguage) -> String {
    if offset.local_minus_utc() == TASHKENT {
        lang.text(Phrase::LocalTimeZone).to_owned()
    } else {
        format!("UTC{}", format_utc_offset(offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_compare_case_insensitively() {
        for l in StampLanguage::ALL {
            assert_eq!(StampLanguage::parse(l.tag()), Some(l));
            assert_eq!(StampLanguage::parse(&l.tag().to_uppercase()), Some(l));
            let json = serde_json::to_string(&l).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", l.tag()));
        }
        assert_eq!(StampLanguage::parse("uz"), None);
        assert_eq!(StampLanguage::parse(""), None);
    }

    #[test]
    fn scripts_are_what_the_tag_says() {
        let cyrillic = |s: &str| s.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c));
        let approved = |l: StampLanguage| l.act("approve", Some("approve"), None);
        assert!(cyrillic(approved(StampLanguage::UzbekCyrillic)));
        assert!(cyrillic(approved(StampLanguage::Russian)));
        assert!(!cyrillic(approved(StampLanguage::UzbekLatin)));
        assert_eq!(approved(StampLanguage::English), "APPROVED");
        assert_ne!(
            approved(StampLanguage::UzbekCyrillic),
            approved(StampLanguage::Russian)
        );
    }

    #[test]
    fn decisions_come_before_actions_and_purposes() {
        let en = StampLanguage::English;
        assert_eq!(en.act("approve", Some("reject"), None), "REJECTED");
        assert_eq!(
            en.act("report", None, Some("request-extension")),
            "EXTENSION REQUESTED"
        );
        assert_eq!(en.act("resolution", None, None), "RESOLUTION");
        assert_eq!(en.act("future-purpose", None, None), "future-purpose");
        assert_eq!(
            en.act("sign", Some("future-decision"), None),
            "future-decision"
        );
        assert_eq!(en.state("on-rework"), "on rework");
        assert_eq!(en.state("unknown-state"), "unknown-state");
    }
}
