//! docflow's document-flow rules: document states, approval routes,
//! resolutions and working-day deadlines.
//!
//! Everything here is plain data and pure functions: no I/O, no database,
//! no clock. Callers pass the current time (`now`) and a
//! [`WorkingCalendar`]; every type is serde (de)serialisable so it can be
//! stored as JSON or mapped to rows. Every failure is a typed error whose
//! documentation suggests an HTTP status; nothing panics on input, and a
//! failed operation leaves its value unchanged.
//!
//! The model:
//! * A **document** ([`document`]) moves Draft → OnApproval → (PendingSign)
//!   → Signed → Registered → Sent/Filed, with returns to rework, rejection
//!   and abort. [`transition`] is the single source of the rules.
//! * An **approval route** ([`route`]) runs on one document version:
//!   sequential stages of parallel steps (approve / sign / acknowledge) with
//!   All/Any/Quorum rules. Its [`DecisionOutcome`] says which document event
//!   to apply when it ends. A new version always starts a new route.
//! * A **resolution** ([`resolution`]) is a head's instruction to executors
//!   with a controller and deadlines; execution is reported, accepted or
//!   returned, deadlines can be extended, executors can issue
//!   sub-resolutions within their own deadline.
//! * The **calendar** ([`calendar`]) counts working days in local time
//!   (Uzbekistan: UTC+5, Saturday/Sunday off, public holidays configured).
//!
//! Who may act for whom (substitution, roles) is decided by the caller; the
//! rules here only check that the acting user is the one the flow expects.

/// Each enum's name as the API, statements and stamps write it, in one
/// place: the same text serde writes (a test checks every variant).
macro_rules! api_names {
    ($t:ident { $($v:ident => $n:literal),+ $(,)? }) => {
        impl $t {
            /// The name the API, statements and stamps use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($t::$v => $n),+
                }
            }

            /// The variant with this API name.
            pub fn from_name(name: &str) -> Option<$t> {
                match name {
                    $($n => Some($t::$v),)+
                    _ => None,
                }
            }

            #[cfg(test)]
            pub(crate) fn api_variants() -> Vec<$t> {
                vec![$($t::$v),+]
            }
        }
    };
}

pub mod calendar;
pub mod document;
pub mod resolution;
pub mod route;

pub use calendar::{
    completed_late, is_overdue, missed_deadline, timeliness, CalendarConfig, CalendarError,
    Deadline, MonthDay, Timeliness, WorkingCalendar,
};
pub use document::{
    allowed_events, transition, DocumentEvent, DocumentState, IllegalTransition,
    UnknownDocumentState,
};
pub use resolution::{
    assignment_transition, resolution_transition, Assignment, AssignmentOp, AssignmentState,
    Awaiting, ExecutorSpec, Extension, ExtensionState, Resolution, ResolutionError, ResolutionOp,
    ResolutionRecord, ResolutionSpec, ResolutionSpecError, ResolutionState,
};
pub use route::{
    Action, ActiveStep, Decision, DecisionOutcome, Route, RouteError, RouteRecord, RouteSpec,
    RouteState, Rule, SpecError, StageRun, StageSpec, StageState, StepRun, StepSpec, StepState,
};

api_names!(Action { Approve => "approve", Sign => "sign", Acknowledge => "acknowledge" });
api_names!(Decision {
    Approve => "approve",
    ApproveWithRemarks => "approve-with-remarks",
    Reject => "reject",
    ReturnForRevision => "return-for-revision",
    Sign => "sign",
    Acknowledge => "acknowledge",
});
api_names!(RouteState {
    Active => "active",
    Approved => "approved",
    Rejected => "rejected",
    Returned => "returned",
    Cancelled => "cancelled",
});
api_names!(StageState {
    Pending => "pending",
    Active => "active",
    Completed => "completed",
    Failed => "failed",
    Skipped => "skipped",
});
api_names!(StepState {
    Pending => "pending",
    Active => "active",
    Approved => "approved",
    ApprovedWithRemarks => "approved-with-remarks",
    Rejected => "rejected",
    Returned => "returned",
    Signed => "signed",
    Acknowledged => "acknowledged",
    Skipped => "skipped",
});
api_names!(ResolutionState {
    Draft => "draft",
    Active => "active",
    Executed => "executed",
    Cancelled => "cancelled",
});
api_names!(AssignmentState {
    Assigned => "assigned",
    Reported => "reported",
    Executed => "executed",
    OnRework => "on-rework",
});
api_names!(ExtensionState {
    Requested => "requested",
    Approved => "approved",
    Refused => "refused",
    Withdrawn => "withdrawn",
});

#[cfg(test)]
mod api_name_tests {
    use super::*;

    fn serde_name<T: serde::Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    #[test]
    fn every_api_name_is_what_serde_writes() {
        macro_rules! check {
            ($($t:ident),+) => {
                $(for v in $t::api_variants() {
                    assert_eq!(v.as_str(), serde_name(v), "{v:?}");
                    assert_eq!($t::from_name(v.as_str()), Some(v));
                })+
            };
        }
        check!(
            Action,
            Decision,
            RouteState,
            StageState,
            StepState,
            ResolutionState,
            AssignmentState,
            ExtensionState
        );
    }
}
