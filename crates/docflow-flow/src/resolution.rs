//! Resolutions (резолюция / rezolyutsiya) and control of their execution.
//!
//! A head writes a resolution on a document: an instruction, a deadline, a
//! controller and one or more executors, exactly one of them responsible
//! (the others are co-executors). An assistant may prepare it as a `Draft`;
//! it takes effect (`Active`) only when its author signs it.
//!
//! Each executor has an assignment: they report, the controller accepts the
//! report (`Executed`) or returns it (`OnRework`). The resolution is
//! `Executed` once the responsible executor's assignment is executed;
//! co-executors may still report and be accepted afterwards, and their
//! lateness still counts in statistics.
//!
//! Extensions: an executor asks for a later deadline; the controller or the
//! author approves or refuses. A co-executor's new deadline must stay within
//! the resolution's deadline (the responsible executor asks for more time for
//! the whole resolution). The responsible executor's approved extension also
//! moves the resolution's deadline, but never past the parent deadline.
//!
//! Sub-resolutions: an executor of an active resolution may issue their own
//! resolution to subordinates within their own deadline; pass
//! [`Resolution::sub_resolution_limit`] as `parent_deadline`.
//!
//! Substitution is the caller's business: `actor` is the user in whose name
//! the action is taken, after the caller resolved any deputy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{timeliness, Timeliness};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExecutorSpec {
    /// User id.
    pub user: String,
    pub responsible: bool,
    pub deadline: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ResolutionSpec {
    pub instruction: String,
    pub deadline: DateTime<Utc>,
    /// User id of whoever accepts reports.
    pub controller: String,
    pub executors: Vec<ExecutorSpec>,
}

/// Why a [`ResolutionSpec`] is not acceptable (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolutionSpecError {
    #[error("the instruction is empty")]
    EmptyInstruction,
    #[error("the controller is empty")]
    EmptyController,
    #[error("a resolution needs at least one executor")]
    NoExecutors,
    #[error("an executor's user id is empty")]
    EmptyExecutor,
    /// The user ids in this and the variants below are for the caller to
    /// name (see [`ResolutionError::naming_users`]).
    #[error("{0} is listed twice as executor")]
    DuplicateExecutor(String),
    #[error("no responsible executor")]
    NoResponsible,
    #[error("{0} responsible executors; exactly one is required")]
    SeveralResponsible(usize),
    /// Self-control defeats the point of control.
    #[error("the controller {0} cannot also be an executor")]
    ControllerIsExecutor(String),
    #[error("executor {0} has a deadline after the resolution's deadline")]
    ExecutorDeadlineAfterResolution(String),
    #[error("the deadline is after the parent deadline")]
    DeadlineAfterParent,
}

impl ResolutionSpec {
    /// `parent_deadline`: the issuing executor's own deadline when this is a
    /// sub-resolution, `None` for a resolution on the document itself.
    pub fn validate(
        &self,
        parent_deadline: Option<DateTime<Utc>>,
    ) -> Result<(), ResolutionSpecError> {
        use ResolutionSpecError as E;
        if self.instruction.trim().is_empty() {
            return Err(E::EmptyInstruction);
        }
        if self.controller.trim().is_empty() {
            return Err(E::EmptyController);
        }
        if self.executors.is_empty() {
            return Err(E::NoExecutors);
        }
        for (i, ex) in self.executors.iter().enumerate() {
            if ex.user.trim().is_empty() {
                return Err(E::EmptyExecutor);
            }
            if self.executors[..i].iter().any(|e| e.user == ex.user) {
                return Err(E::DuplicateExecutor(ex.user.clone()));
            }
            if ex.user == self.controller {
                return Err(E::ControllerIsExecutor(ex.user.clone()));
            }
            if ex.deadline > self.deadline {
                return Err(E::ExecutorDeadlineAfterResolution(ex.user.clone()));
            }
        }
        match self.executors.iter().filter(|e| e.responsible).count() {
            0 => return Err(E::NoResponsible),
            1 => {}
            n => return Err(E::SeveralResponsible(n)),
        }
        if parent_deadline.is_some_and(|p| self.deadline > p) {
            return Err(E::DeadlineAfterParent);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolutionState {
    /// Prepared (e.g. by an assistant); not in effect until signed.
    Draft,
    /// Signed by its author; executors are working.
    Active,
    /// The responsible executor's assignment was executed.
    Executed,
    Cancelled,
}

/// Operations on the resolution as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolutionOp {
    Sign,
    Cancel,
    /// The responsible executor's report was accepted.
    ResponsibleExecuted,
}

impl ResolutionOp {
    /// The API action that performs it (`POST /resolutions/{id}/actions`).
    pub fn action(self) -> &'static str {
        match self {
            ResolutionOp::Sign => "sign",
            ResolutionOp::Cancel => "cancel",
            ResolutionOp::ResponsibleExecuted => "accept",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentState {
    Assigned,
    Reported,
    /// Report accepted by the controller.
    Executed,
    /// Report returned by the controller.
    OnRework,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentOp {
    Report,
    AcceptReport,
    ReturnReport,
}

impl AssignmentOp {
    /// The API action that performs it (`POST /resolutions/{id}/actions`).
    pub fn action(self) -> &'static str {
        match self {
            AssignmentOp::Report => "report",
            AssignmentOp::AcceptReport => "accept",
            AssignmentOp::ReturnReport => "return",
        }
    }
}

/// Whom an open assignment waits for ([`Resolution::awaiting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Awaiting {
    /// Its executor: to report, or to report again after a return.
    Executor,
    /// The controller: to accept or return the report.
    Controller,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtensionState {
    Requested,
    Approved,
    Refused,
    /// Closed undecided: the assignment was executed or the resolution
    /// cancelled while the request was pending.
    Withdrawn,
}

/// The state machine of a resolution, without the permission checks.
pub fn resolution_transition(
    state: ResolutionState,
    op: ResolutionOp,
) -> Result<ResolutionState, ResolutionError> {
    use ResolutionOp as O;
    use ResolutionState as S;
    match (state, op) {
        (S::Draft, O::Sign) => Ok(S::Active),
        (S::Draft | S::Active, O::Cancel) => Ok(S::Cancelled),
        (S::Active, O::ResponsibleExecuted) => Ok(S::Executed),
        _ => Err(ResolutionError::WrongResolutionState { state, op }),
    }
}

/// The state machine of one executor's assignment.
pub fn assignment_transition(
    state: AssignmentState,
    op: AssignmentOp,
) -> Result<AssignmentState, ResolutionError> {
    use AssignmentOp as O;
    use AssignmentState as S;
    match (state, op) {
        (S::Assigned | S::OnRework, O::Report) => Ok(S::Reported),
        (S::Reported, O::AcceptReport) => Ok(S::Executed),
        (S::Reported, O::ReturnReport) => Ok(S::OnRework),
        _ => Err(ResolutionError::WrongAssignmentState { state, op }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Extension {
    pub requested_at: DateTime<Utc>,
    /// The deadline before the request.
    pub previous_deadline: DateTime<Utc>,
    pub requested_deadline: DateTime<Utc>,
    pub state: ExtensionState,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Assignment {
    pub user: String,
    pub responsible: bool,
    pub state: AssignmentState,
    /// The current deadline (moved by approved extensions; the original is
    /// in the spec).
    pub deadline: DateTime<Utc>,
    /// Time of the latest report.
    pub reported_at: Option<DateTime<Utc>>,
    /// Time of the report that was accepted: the moment the work was done,
    /// used for lateness (the controller's delay is not the executor's).
    pub completed_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Oldest first; at most the last one is `Requested`.
    pub extensions: Vec<Extension>,
}

impl Assignment {
    pub fn timeliness(&self, now: DateTime<Utc>) -> Timeliness {
        timeliness(Some(self.deadline), self.completed_at, now)
    }

    /// Open and past its (current) deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.timeliness(now) == Timeliness::Overdue
    }

    /// Executed after its (current) deadline.
    pub fn completed_late(&self) -> bool {
        self.completed_at.is_some_and(|c| c > self.deadline)
    }

    pub fn pending_extension(&self) -> Option<&Extension> {
        self.extensions
            .last()
            .filter(|e| e.state == ExtensionState::Requested)
    }

    pub fn was_extended(&self) -> bool {
        self.extensions
            .iter()
            .any(|e| e.state == ExtensionState::Approved)
    }

    fn withdraw_pending_extension(&mut self, now: DateTime<Utc>) {
        if let Some(e) = self.extensions.last_mut() {
            if e.state == ExtensionState::Requested {
                e.state = ExtensionState::Withdrawn;
                e.decided_at = Some(now);
            }
        }
    }
}

/// Errors from resolution operations; suggested HTTP status in each doc.
///
/// Messages name states and actions by their API names. The variants that
/// carry a user id print it as given: a caller that answers people replaces
/// it with a name first ([`ResolutionError::naming_users`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolutionError {
    /// 422
    #[error("invalid resolution: {0}")]
    InvalidSpec(#[from] ResolutionSpecError),
    /// 403: only the author signs or cancels.
    #[error("{0} is not the author of this resolution")]
    NotAuthor(String),
    /// 403: only the controller accepts or returns reports.
    #[error("{0} is not the controller of this resolution")]
    NotController(String),
    /// 403: only the controller or the author decides extensions.
    #[error("{0} is neither the controller nor the author of this resolution")]
    NotAuthorOrController(String),
    /// 403 when the actor acts for themselves, 404 when naming someone else.
    #[error("{0} is not an executor of this resolution")]
    NotExecutor(String),
    /// 409
    #[error("cannot {}: the resolution is {}", .op.action(), .state.as_str())]
    WrongResolutionState {
        state: ResolutionState,
        op: ResolutionOp,
    },
    /// 409: e.g. the resolution is a draft or cancelled.
    #[error("the resolution is {}, not in effect for this action", .0.as_str())]
    NotInEffect(ResolutionState),
    /// 409
    #[error("cannot {}: the assignment is {}", .op.action(), .state.as_str())]
    WrongAssignmentState {
        state: AssignmentState,
        op: AssignmentOp,
    },
    /// 409: the executor's work is reported or executed.
    #[error("the assignment is already {}", .0.as_str())]
    AssignmentNotOpen(AssignmentState),
    /// 409
    #[error("an extension request is already pending")]
    ExtensionPending,
    /// 409
    #[error("no extension request is pending")]
    NoPendingExtension,
    /// 422
    #[error("the requested deadline is not later than the current one")]
    ExtensionNotLater,
    /// 422
    #[error("the requested deadline has already passed")]
    ExtensionInPast,
    /// 422: co-executors stay within the resolution's deadline.
    #[error("a co-executor's deadline cannot pass the resolution's deadline")]
    ExtensionBeyondResolution,
    /// 422: the responsible executor stays within the parent deadline.
    #[error("the deadline cannot pass the parent deadline")]
    ExtensionBeyondParent,
    /// 500: a stored resolution does not fit its spec.
    #[error("stored resolution is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl ResolutionError {
    /// The same error with every user id it carries replaced by `name(id)`
    /// (a login and full name, say), for a message a person reads.
    pub fn naming_users(self, mut name: impl FnMut(&str) -> String) -> ResolutionError {
        use ResolutionError as E;
        use ResolutionSpecError as S;
        match self {
            E::NotAuthor(u) => E::NotAuthor(name(&u)),
            E::NotController(u) => E::NotController(name(&u)),
            E::NotAuthorOrController(u) => E::NotAuthorOrController(name(&u)),
            E::NotExecutor(u) => E::NotExecutor(name(&u)),
            E::InvalidSpec(S::DuplicateExecutor(u)) => {
                E::InvalidSpec(S::DuplicateExecutor(name(&u)))
            }
            E::InvalidSpec(S::ControllerIsExecutor(u)) => {
                E::InvalidSpec(S::ControllerIsExecutor(name(&u)))
            }
            E::InvalidSpec(S::ExecutorDeadlineAfterResolution(u)) => {
                E::InvalidSpec(S::ExecutorDeadlineAfterResolution(name(&u)))
            }
            other => other,
        }
    }
}

/// Plain-data form of a [`Resolution`] for storage; checked on conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ResolutionRecord {
    /// As written; executor deadlines here are the original ones.
    pub spec: ResolutionSpec,
    /// The head in whose name the resolution is issued; signs it.
    pub author: String,
    /// Who typed it (an assistant, or the author).
    pub prepared_by: String,
    pub parent_deadline: Option<DateTime<Utc>>,
    pub state: ResolutionState,
    /// Current deadline (moves with the responsible executor's extensions).
    pub deadline: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Same order and users as `spec.executors`.
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ResolutionRecord", into = "ResolutionRecord")]
pub struct Resolution {
    r: ResolutionRecord,
}

impl TryFrom<ResolutionRecord> for Resolution {
    type Error = ResolutionError;

    fn try_from(r: ResolutionRecord) -> Result<Self, Self::Error> {
        Resolution::from_record(r)
    }
}

impl From<Resolution> for ResolutionRecord {
    fn from(r: Resolution) -> Self {
        r.r
    }
}

impl Resolution {
    /// A new draft. Sign it with [`Resolution::sign`] to put it in effect
    /// (the author signs right away when writing it personally).
    pub fn new(
        spec: ResolutionSpec,
        author: &str,
        prepared_by: &str,
        parent_deadline: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Resolution, ResolutionError> {
        spec.validate(parent_deadline)?;
        let assignments = spec
            .executors
            .iter()
            .map(|e| Assignment {
                user: e.user.clone(),
                responsible: e.responsible,
                state: AssignmentState::Assigned,
                deadline: e.deadline,
                reported_at: None,
                completed_at: None,
                accepted_at: None,
                extensions: Vec::new(),
            })
            .collect();
        Ok(Resolution {
            r: ResolutionRecord {
                deadline: spec.deadline,
                spec,
                author: author.to_owned(),
                prepared_by: prepared_by.to_owned(),
                parent_deadline,
                state: ResolutionState::Draft,
                created_at: now,
                signed_at: None,
                finished_at: None,
                assignments,
            },
        })
    }

    pub fn from_record(r: ResolutionRecord) -> Result<Resolution, ResolutionError> {
        r.spec.validate(r.parent_deadline)?;
        if r.assignments.len() != r.spec.executors.len()
            || r.assignments
                .iter()
                .zip(&r.spec.executors)
                .any(|(a, e)| a.user != e.user || a.responsible != e.responsible)
        {
            return Err(ResolutionError::Inconsistent(
                "assignments differ from the executors",
            ));
        }
        let responsible_done = r
            .assignments
            .iter()
            .any(|a| a.responsible && a.state == AssignmentState::Executed);
        if responsible_done != (r.state == ResolutionState::Executed) {
            return Err(ResolutionError::Inconsistent(
                "executed exactly when the responsible assignment is",
            ));
        }
        if r.assignments.iter().any(|a| {
            a.extensions
                .iter()
                .rev()
                .skip(1)
                .any(|e| e.state == ExtensionState::Requested)
        }) {
            return Err(ResolutionError::Inconsistent(
                "only the latest extension may be pending",
            ));
        }
        Ok(Resolution { r })
    }

    pub fn record(&self) -> &ResolutionRecord {
        &self.r
    }

    pub fn spec(&self) -> &ResolutionSpec {
        &self.r.spec
    }

    pub fn author(&self) -> &str {
        &self.r.author
    }

    pub fn state(&self) -> ResolutionState {
        self.r.state
    }

    /// Current deadline.
    pub fn deadline(&self) -> DateTime<Utc> {
        self.r.deadline
    }

    pub fn assignments(&self) -> &[Assignment] {
        &self.r.assignments
    }

    pub fn assignment(&self, user: &str) -> Option<&Assignment> {
        self.r.assignments.iter().find(|a| a.user == user)
    }

    fn assignment_mut(&mut self, user: &str) -> Result<&mut Assignment, ResolutionError> {
        self.r
            .assignments
            .iter_mut()
            .find(|a| a.user == user)
            .ok_or_else(|| ResolutionError::NotExecutor(user.to_owned()))
    }

    fn responsible(&self) -> Option<&Assignment> {
        self.r.assignments.iter().find(|a| a.responsible)
    }

    /// Draft → Active, only by the author.
    pub fn sign(&mut self, actor: &str, now: DateTime<Utc>) -> Result<(), ResolutionError> {
        if actor != self.r.author {
            return Err(ResolutionError::NotAuthor(actor.to_owned()));
        }
        self.r.state = resolution_transition(self.r.state, ResolutionOp::Sign)?;
        self.r.signed_at = Some(now);
        Ok(())
    }

    /// Draft|Active → Cancelled, only by the author. Pending extension
    /// requests are withdrawn.
    pub fn cancel(&mut self, actor: &str, now: DateTime<Utc>) -> Result<(), ResolutionError> {
        if actor != self.r.author {
            return Err(ResolutionError::NotAuthor(actor.to_owned()));
        }
        self.r.state = resolution_transition(self.r.state, ResolutionOp::Cancel)?;
        self.r.finished_at = Some(now);
        for a in &mut self.r.assignments {
            a.withdraw_pending_extension(now);
        }
        Ok(())
    }

    /// In effect: reports are made and reviewed and deadlines count. That
    /// is while it is active, and for co-executors still at work also after
    /// it was executed; a draft or a cancelled resolution is not.
    pub fn is_in_effect(&self) -> bool {
        matches!(
            self.r.state,
            ResolutionState::Active | ResolutionState::Executed
        )
    }

    /// Reports and their review happen while the resolution is in effect.
    fn check_reportable(&self) -> Result<(), ResolutionError> {
        if self.is_in_effect() {
            Ok(())
        } else {
            Err(ResolutionError::NotInEffect(self.r.state))
        }
    }

    /// Whom the assignment `a` (one of this resolution's) waits for, or
    /// `None` once it is closed: executed, or the resolution not in effect.
    ///
    /// The one rule for what is open: the inbox shows exactly these (to the
    /// executor, or to the controller), the execution report counts exactly
    /// these as open (overdue or in progress), and they are what the actions
    /// accept: `Some(Executor)` exactly when [`Resolution::report`] would
    /// take the executor's report, `Some(Controller)` exactly when
    /// [`Resolution::accept_report`] or [`Resolution::return_report`] would
    /// take the controller's decision.
    pub fn awaiting(&self, a: &Assignment) -> Option<Awaiting> {
        if !self.is_in_effect() {
            return None;
        }
        match a.state {
            AssignmentState::Assigned | AssignmentState::OnRework => Some(Awaiting::Executor),
            AssignmentState::Reported => Some(Awaiting::Controller),
            AssignmentState::Executed => None,
        }
    }

    /// The assignment's extension request waits for the controller or the
    /// author: exactly when [`Resolution::decide_extension`] would decide it.
    pub fn awaits_extension_decision(&self, a: &Assignment) -> bool {
        self.r.state == ResolutionState::Active && a.pending_extension().is_some()
    }

    /// The executor `actor` reports on their assignment:
    /// Assigned|OnRework → Reported.
    pub fn report(&mut self, actor: &str, now: DateTime<Utc>) -> Result<(), ResolutionError> {
        self.check_reportable()?;
        let a = self.assignment_mut(actor)?;
        a.state = assignment_transition(a.state, AssignmentOp::Report)?;
        a.reported_at = Some(now);
        Ok(())
    }

    /// The controller accepts `executor`'s report: Reported → Executed.
    /// Returns true when this executed the whole resolution.
    pub fn accept_report(
        &mut self,
        executor: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ResolutionError> {
        if actor != self.r.spec.controller {
            return Err(ResolutionError::NotController(actor.to_owned()));
        }
        self.check_reportable()?;
        // Check the resolution transition first so nothing changes on error.
        let a = self
            .assignment(executor)
            .ok_or_else(|| ResolutionError::NotExecutor(executor.to_owned()))?;
        let new_state = assignment_transition(a.state, AssignmentOp::AcceptReport)?;
        let executes_resolution = a.responsible;
        let resolution_state = if executes_resolution {
            resolution_transition(self.r.state, ResolutionOp::ResponsibleExecuted)?
        } else {
            self.r.state
        };
        let a = self.assignment_mut(executor)?;
        a.state = new_state;
        a.completed_at = a.reported_at;
        a.accepted_at = Some(now);
        a.withdraw_pending_extension(now);
        if executes_resolution {
            self.r.state = resolution_state;
            self.r.finished_at = Some(now);
        }
        Ok(executes_resolution)
    }

    /// The controller returns `executor`'s report: Reported → OnRework.
    pub fn return_report(
        &mut self,
        executor: &str,
        actor: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), ResolutionError> {
        if actor != self.r.spec.controller {
            return Err(ResolutionError::NotController(actor.to_owned()));
        }
        self.check_reportable()?;
        let a = self.assignment_mut(executor)?;
        a.state = assignment_transition(a.state, AssignmentOp::ReturnReport)?;
        Ok(())
    }

    /// The executor `actor` asks to move their deadline to `new_deadline`.
    /// Only while the resolution is active and the work is not reported.
    pub fn request_extension(
        &mut self,
        actor: &str,
        new_deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), ResolutionError> {
        if self.r.state != ResolutionState::Active {
            return Err(ResolutionError::NotInEffect(self.r.state));
        }
        let resolution_deadline = self.r.deadline;
        let parent = self.r.parent_deadline;
        let a = self.assignment_mut(actor)?;
        // Reported work needs no more time; if the report is returned the
        // executor may ask then.
        if !matches!(
            a.state,
            AssignmentState::Assigned | AssignmentState::OnRework
        ) {
            return Err(ResolutionError::AssignmentNotOpen(a.state));
        }
        if a.pending_extension().is_some() {
            return Err(ResolutionError::ExtensionPending);
        }
        check_extension(a, new_deadline, now, resolution_deadline, parent)?;
        a.extensions.push(Extension {
            requested_at: now,
            previous_deadline: a.deadline,
            requested_deadline: new_deadline,
            state: ExtensionState::Requested,
            decided_by: None,
            decided_at: None,
        });
        Ok(())
    }

    /// The controller or the author approves or refuses `executor`'s
    /// pending request. Approval moves the executor's deadline, and for the
    /// responsible executor the resolution's deadline if it is earlier.
    pub fn decide_extension(
        &mut self,
        executor: &str,
        actor: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ResolutionError> {
        if actor != self.r.spec.controller && actor != self.r.author {
            return Err(ResolutionError::NotAuthorOrController(actor.to_owned()));
        }
        if self.r.state != ResolutionState::Active {
            return Err(ResolutionError::NotInEffect(self.r.state));
        }
        let mut resolution_deadline = self.r.deadline;
        let a = self.assignment_mut(executor)?;
        let requested = a
            .pending_extension()
            .map(|e| e.requested_deadline)
            .ok_or(ResolutionError::NoPendingExtension)?;
        if approve {
            a.deadline = requested;
            if a.responsible && requested > resolution_deadline {
                resolution_deadline = requested;
            }
        }
        if let Some(e) = a.extensions.last_mut() {
            e.state = if approve {
                ExtensionState::Approved
            } else {
                ExtensionState::Refused
            };
            e.decided_by = Some(actor.to_owned());
            e.decided_at = Some(now);
        }
        self.r.deadline = resolution_deadline;
        Ok(())
    }

    /// The deadline an executor's sub-resolution must keep within: their own
    /// current deadline, while the resolution is active and their work open.
    pub fn sub_resolution_limit(&self, executor: &str) -> Result<DateTime<Utc>, ResolutionError> {
        if self.r.state != ResolutionState::Active {
            return Err(ResolutionError::NotInEffect(self.r.state));
        }
        let a = self
            .assignment(executor)
            .ok_or_else(|| ResolutionError::NotExecutor(executor.to_owned()))?;
        if a.state == AssignmentState::Executed {
            return Err(ResolutionError::AssignmentNotOpen(a.state));
        }
        Ok(a.deadline)
    }

    /// The resolution against its current deadline; completion is the
    /// responsible executor's accepted report. Drafts and cancelled
    /// resolutions have no deadline in effect.
    pub fn timeliness(&self, now: DateTime<Utc>) -> Timeliness {
        match self.r.state {
            ResolutionState::Draft | ResolutionState::Cancelled => Timeliness::NoDeadline,
            _ => timeliness(
                Some(self.r.deadline),
                self.responsible().and_then(|a| a.completed_at),
                now,
            ),
        }
    }

    /// Open assignments ([`Resolution::awaiting`]) past their deadline.
    pub fn overdue_assignments(&self, now: DateTime<Utc>) -> Vec<&Assignment> {
        self.r
            .assignments
            .iter()
            .filter(|a| self.awaiting(a).is_some() && a.is_overdue(now))
            .collect()
    }
}

fn check_extension(
    a: &Assignment,
    new_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    resolution_deadline: DateTime<Utc>,
    parent: Option<DateTime<Utc>>,
) -> Result<(), ResolutionError> {
    if new_deadline <= a.deadline {
        return Err(ResolutionError::ExtensionNotLater);
    }
    if new_deadline <= now {
        return Err(ResolutionError::ExtensionInPast);
    }
    if a.responsible {
        if parent.is_some_and(|p| new_deadline > p) {
            return Err(ResolutionError::ExtensionBeyondParent);
        }
    } else if new_deadline > resolution_deadline {
        return Err(ResolutionError::ExtensionBeyondResolution);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
