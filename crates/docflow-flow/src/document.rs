//! The life cycle of a document: its states and the events that move it.
//!
//! ```text
//! Draft ──StartApproval──▶ OnApproval ──RouteApproved{needs_signature: true}──▶ PendingSign ──Sign──▶ Signed
//!   ▲ │                      │  │  └──RouteApproved{needs_signature: false}──────────────────────────▶ Signed
//!   │ │                      │  └──Rejected──▶ Aborted
//!   │ │                      └──ReturnedForRevision──▶ OnRework ──NewVersion──▶ Draft
//!   │ └──RegisterIncoming──▶ Registered ◀──Register── Signed
//!   └─NewVersion (Draft)      Registered ──Send──▶ Sent ──File──▶ Filed
//!                             Registered ──File──▶ Filed
//! Abort: every state except Filed and Aborted ──▶ Aborted
//! ```
//!
//! `needs_signature` is false when the approval route itself ended with a
//! signing stage (the signature was given inside the route, see
//! [`crate::route::Route::needs_separate_signature`]); true when the route
//! only approved the text and the head still has to sign it separately.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a document is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentState {
    /// Being written; the only state in which the content may change.
    Draft,
    /// An approval route is running on the current version.
    OnApproval,
    /// An approver returned it; a new version is needed.
    OnRework,
    /// Approved, waiting for the signatory's signature.
    PendingSign,
    /// Signed; content is frozen.
    Signed,
    /// Has a registration number in a journal.
    Registered,
    /// Dispatched to its addressees.
    Sent,
    /// Placed in a case file (номенклатура дел); final.
    Filed,
    /// Rejected or withdrawn; final.
    Aborted,
}

impl DocumentState {
    /// Every state, in life-cycle order (for tests, docs and UI lists).
    pub const ALL: [DocumentState; 9] = [
        DocumentState::Draft,
        DocumentState::OnApproval,
        DocumentState::OnRework,
        DocumentState::PendingSign,
        DocumentState::Signed,
        DocumentState::Registered,
        DocumentState::Sent,
        DocumentState::Filed,
        DocumentState::Aborted,
    ];

    /// The same string serde uses.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Draft => "draft",
            DocumentState::OnApproval => "on-approval",
            DocumentState::OnRework => "on-rework",
            DocumentState::PendingSign => "pending-sign",
            DocumentState::Signed => "signed",
            DocumentState::Registered => "registered",
            DocumentState::Sent => "sent",
            DocumentState::Filed => "filed",
            DocumentState::Aborted => "aborted",
        }
    }

    /// No event leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(self, DocumentState::Filed | DocumentState::Aborted)
    }

    /// Only a draft's content may be edited; everything later is frozen so
    /// approvals and signatures always refer to exactly one version.
    pub fn content_editable(self) -> bool {
        self == DocumentState::Draft
    }
}

impl fmt::Display for DocumentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`DocumentState`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document state '{0}'")]
pub struct UnknownDocumentState(pub String);

impl FromStr for DocumentState {
    type Err = UnknownDocumentState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownDocumentState(s.to_owned()))
    }
}

/// Something that happened to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum DocumentEvent {
    /// The author sends the draft on its approval route.
    StartApproval,
    /// The route ended approved. `needs_signature`: the route had no signing
    /// stage, so the document waits in `PendingSign`.
    #[serde(rename_all = "kebab-case")]
    RouteApproved { needs_signature: bool },
    /// An approver returned the document for revision.
    ReturnedForRevision,
    /// An approver rejected the document (a veto: the document is dead).
    Rejected,
    /// A new version was uploaded (after a return, or while still a draft).
    NewVersion,
    /// The signatory signed outside the route.
    Sign,
    /// The office registers a signed (outgoing/internal) document.
    Register,
    /// The office registers an incoming document, which needs no approval:
    /// it is created as a draft and registered straight away.
    RegisterIncoming,
    /// Dispatched to addressees.
    Send,
    /// Put into a case file.
    File,
    /// Withdrawn by its author or an administrator.
    Abort,
}

impl DocumentEvent {
    /// Every event value (both `RouteApproved` variants), for exhaustive tests.
    pub const ALL: [DocumentEvent; 12] = [
        DocumentEvent::StartApproval,
        DocumentEvent::RouteApproved {
            needs_signature: true,
        },
        DocumentEvent::RouteApproved {
            needs_signature: false,
        },
        DocumentEvent::ReturnedForRevision,
        DocumentEvent::Rejected,
        DocumentEvent::NewVersion,
        DocumentEvent::Sign,
        DocumentEvent::Register,
        DocumentEvent::RegisterIncoming,
        DocumentEvent::Send,
        DocumentEvent::File,
        DocumentEvent::Abort,
    ];

    /// The event's name as serde writes it in the `event` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentEvent::StartApproval => "start-approval",
            DocumentEvent::RouteApproved { .. } => "route-approved",
            DocumentEvent::ReturnedForRevision => "returned-for-revision",
            DocumentEvent::Rejected => "rejected",
            DocumentEvent::NewVersion => "new-version",
            DocumentEvent::Sign => "sign",
            DocumentEvent::Register => "register",
            DocumentEvent::RegisterIncoming => "register-incoming",
            DocumentEvent::Send => "send",
            DocumentEvent::File => "file",
            DocumentEvent::Abort => "abort",
        }
    }
}

impl fmt::Display for DocumentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentEvent::RouteApproved { needs_signature } => {
                write!(f, "route-approved(needs-signature={needs_signature})")
            }
            other => f.write_str(other.as_str()),
        }
    }
}

/// The event does not apply in the document's current state (HTTP 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event '{event}' is not allowed for a document in state '{state}'")]
pub struct IllegalTransition {
    pub state: DocumentState,
    pub event: DocumentEvent,
}

/// The next state after `event`, or why it cannot happen.
pub fn transition(
    state: DocumentState,
    event: DocumentEvent,
) -> Result<DocumentState, IllegalTransition> {
    use DocumentEvent as E;
    use DocumentState as S;
    let next = match (state, event) {
        (S::Draft, E::StartApproval) => S::OnApproval,
        (S::Draft, E::NewVersion) => S::Draft,
        (S::Draft, E::RegisterIncoming) => S::Registered,
        (S::OnApproval, E::RouteApproved { needs_signature }) => {
            if needs_signature {
                S::PendingSign
            } else {
                S::Signed
            }
        }
        (S::OnApproval, E::ReturnedForRevision) => S::OnRework,
        (S::OnApproval, E::Rejected) => S::Aborted,
        (S::OnRework, E::NewVersion) => S::Draft,
        (S::PendingSign, E::Sign) => S::Signed,
        (S::Signed, E::Register) => S::Registered,
        (S::Registered, E::Send) => S::Sent,
        (S::Registered | S::Sent, E::File) => S::Filed,
        // Abort is possible from every non-final state, including after
        // registration (annulment); the caller decides who may do it.
        (s, E::Abort) if !s.is_final() => S::Aborted,
        _ => return Err(IllegalTransition { state, event }),
    };
    Ok(next)
}

/// Every legal `(state, event, next)` row, derived from [`transition`].
pub fn table() -> Vec<(DocumentState, DocumentEvent, DocumentState)> {
    let mut rows = Vec::new();
    for state in DocumentState::ALL {
        for event in DocumentEvent::ALL {
            if let Ok(next) = transition(state, event) {
                rows.push((state, event, next));
            }
        }
    }
    rows
}

/// The events accepted in `state` (e.g. to show buttons).
pub fn allowed_events(state: DocumentState) -> Vec<DocumentEvent> {
    DocumentEvent::ALL
        .into_iter()
        .filter(|e| transition(state, *e).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentEvent as E;
    use DocumentState as S;

    /// Written out by hand (not derived from `transition`) so the test is
    /// not circular.
    fn expected() -> Vec<(S, E, S)> {
        let mut v = vec![
            (S::Draft, E::StartApproval, S::OnApproval),
            (S::Draft, E::NewVersion, S::Draft),
            (S::Draft, E::RegisterIncoming, S::Registered),
            (
                S::OnApproval,
                E::RouteApproved {
                    needs_signature: true,
                },
                S::PendingSign,
            ),
            (
                S::OnApproval,
                E::RouteApproved {
                    needs_signature: false,
                },
                S::Signed,
            ),
            (S::OnApproval, E::ReturnedForRevision, S::OnRework),
            (S::OnApproval, E::Rejected, S::Aborted),
            (S::OnRework, E::NewVersion, S::Draft),
            (S::PendingSign, E::Sign, S::Signed),
            (S::Signed, E::Register, S::Registered),
            (S::Registered, E::Send, S::Sent),
            (S::Registered, E::File, S::Filed),
            (S::Sent, E::File, S::Filed),
        ];
        for s in [
            S::Draft,
            S::OnApproval,
            S::OnRework,
            S::PendingSign,
            S::Signed,
            S::Registered,
            S::Sent,
        ] {
            v.push((s, E::Abort, S::Aborted));
        }
        v
    }

    #[test]
    fn every_state_event_pair_matches_the_table() {
        let expected = expected();
        let mut checked = 0;
        for s in S::ALL {
            for e in E::ALL {
                let want = expected
                    .iter()
                    .find(|(es, ee, _)| *es == s && *ee == e)
                    .map(|(_, _, n)| *n);
                match (transition(s, e), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s} + {e}"),
                    (Err(err), None) => {
                        assert_eq!(err, IllegalTransition { state: s, event: e });
                    }
                    (got, want) => panic!("{s} + {e}: got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 9 * 12);
        assert_eq!(table().len(), expected.len());
        assert_eq!(table().len(), 20);
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in [S::Filed, S::Aborted] {
            assert!(s.is_final());
            assert!(allowed_events(s).is_empty(), "{s}");
        }
    }

    #[test]
    fn illegal_transition_message_names_state_and_event() {
        let err = transition(S::Draft, E::Sign).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event 'sign' is not allowed for a document in state 'draft'"
        );
        let err = transition(
            S::Draft,
            E::RouteApproved {
                needs_signature: true,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("route-approved"));
    }

    #[test]
    fn state_strings_round_trip_through_serde_and_from_str() {
        let names = [
            "draft",
            "on-approval",
            "on-rework",
            "pending-sign",
            "signed",
            "registered",
            "sent",
            "filed",
            "aborted",
        ];
        for (s, name) in S::ALL.into_iter().zip(names) {
            assert_eq!(s.as_str(), name);
            assert_eq!(name.parse::<S>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<S>(&format!("\"{name}\"")).unwrap(),
                s
            );
        }
        assert_eq!(
            "Draft".parse::<S>(),
            Err(UnknownDocumentState("Draft".into()))
        );
    }

    #[test]
    fn events_serialise_with_a_tag() {
        for e in E::ALL {
            let json = serde_json::to_value(e).unwrap();
            assert_eq!(json["event"], e.as_str());
            assert_eq!(serde_json::from_value::<E>(json).unwrap(), e);
        }
        let e: E =
            serde_json::from_str(r#"{"event":"route-approved","needs-signature":false}"#).unwrap();
        assert_eq!(
            e,
            E::RouteApproved {
                needs_signature: false
            }
        );
    }

    #[test]
    fn only_drafts_are_editable() {
        for s in S::ALL {
            assert_eq!(s.content_editable(), s == S::Draft);
        }
    }
}
