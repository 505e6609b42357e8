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
    ExecutorSpec, Extension, ExtensionState, Resolution, ResolutionError, ResolutionOp,
    ResolutionRecord, ResolutionSpec, ResolutionSpecError, ResolutionState,
};
pub use route::{
    Action, ActiveStep, Decision, DecisionOutcome, Route, RouteError, RouteRecord, RouteSpec,
    RouteState, Rule, SpecError, StageRun, StageSpec, StageState, StepRun, StepSpec, StepState,
};
