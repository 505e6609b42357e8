//! Approval routes (маршрут согласования).
//!
//! A route is a list of stages run one after another; the steps inside a
//! stage run in parallel (a single step is a stage of one). Each stage has a
//! [`Rule`] saying how many positive decisions complete it.
//!
//! Decisions and their effect:
//! * positive (approve, approve with remarks, sign, acknowledge): counted
//!   towards the stage's rule; once the rule holds the stage completes, its
//!   still-active steps are skipped and the next stage activates (its
//!   working-day deadlines are resolved at that moment). After the last
//!   stage the route is `Approved`.
//! * `Reject` is a veto under every rule: the route ends `Rejected` at once,
//!   even if an `Any`/`Quorum` stage could still have been satisfied.
//! * `ReturnForRevision` ends the route `Returned`; the document needs a new
//!   version and a NEW route — approvals never carry over to another version.
//!
//! Signing: steps with [`Action::Sign`] may only appear in the last stage,
//! which must then consist of Sign steps only under [`Rule::All`]. So a route
//! with a signing stage is approved exactly when every signatory signed, and
//! the document goes straight to `Signed`
//! ([`Route::needs_separate_signature`] is false).
//!
//! A route never checks substitution authority: when `on_behalf_of` is
//! given the caller has already checked that `actor` may act for that user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{is_overdue, CalendarError, Deadline, WorkingCalendar, MAX_WORKING_DAYS};
use crate::document::DocumentEvent;

/// What a step asks its assignee to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Approve,
    Sign,
    Acknowledge,
}

/// What the assignee answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Approve,
    ApproveWithRemarks,
    Reject,
    ReturnForRevision,
    Sign,
    Acknowledge,
}

impl Decision {
    pub const ALL: [Decision; 6] = [
        Decision::Approve,
        Decision::ApproveWithRemarks,
        Decision::Reject,
        Decision::ReturnForRevision,
        Decision::Sign,
        Decision::Acknowledge,
    ];

    /// Approve steps: approve / approve with remarks / reject / return.
    /// Sign steps: sign / reject / return. Acknowledge steps: acknowledge
    /// only (acknowledging cannot stop a document).
    pub fn fits(self, action: Action) -> bool {
        use Decision as D;
        match action {
            Action::Approve => matches!(
                self,
                D::Approve | D::ApproveWithRemarks | D::Reject | D::ReturnForRevision
            ),
            Action::Sign => matches!(self, D::Sign | D::Reject | D::ReturnForRevision),
            Action::Acknowledge => self == D::Acknowledge,
        }
    }

    /// Counts towards a stage's rule.
    pub fn is_positive(self) -> bool {
        !matches!(self, Decision::Reject | Decision::ReturnForRevision)
    }

    fn step_state(self) -> StepState {
        match self {
            Decision::Approve => StepState::Approved,
            Decision::ApproveWithRemarks => StepState::ApprovedWithRemarks,
            Decision::Reject => StepState::Rejected,
            Decision::ReturnForRevision => StepState::Returned,
            Decision::Sign => StepState::Signed,
            Decision::Acknowledge => StepState::Acknowledged,
        }
    }
}

/// How many positive decisions complete a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Every step (parallel approval by all).
    All,
    /// The first positive decision.
    Any,
    /// `n` positive decisions, `1 <= n <= steps`.
    Quorum(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StepSpec {
    /// User id.
    pub assignee: String,
    pub action: Action,
    #[serde(default)]
    pub deadline: Option<Deadline>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StageSpec {
    pub steps: Vec<StepSpec>,
    pub rule: Rule,
}

impl StageSpec {
    /// A stage of one step.
    pub fn single(step: StepSpec) -> StageSpec {
        StageSpec {
            steps: vec![step],
            rule: Rule::All,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RouteSpec {
    pub stages: Vec<StageSpec>,
}

/// Why a [`RouteSpec`] is not usable (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("a route needs at least one stage")]
    NoStages,
    #[error("stage {stage} has no steps")]
    EmptyStage { stage: usize },
    #[error("stage {stage}: quorum {quorum} must be between 1 and the {steps} steps")]
    BadQuorum {
        stage: usize,
        quorum: u32,
        steps: usize,
    },
    #[error("stage {stage}, step {step}: empty assignee")]
    EmptyAssignee { stage: usize, step: usize },
    /// `assignee` is a user id, for the caller to name
    /// ([`RouteError::naming_users`]).
    #[error("stage {stage}: {assignee} appears twice")]
    DuplicateAssignee { stage: usize, assignee: String },
    #[error("stage {stage}: sign steps are only allowed in the last stage")]
    SignNotInLastStage { stage: usize },
    #[error("stage {stage}: a signing stage must contain only sign steps and use rule 'all'")]
    MixedSigningStage { stage: usize },
    #[error(
        "stage {stage}, step {step}: deadline of {days} working days exceeds {MAX_WORKING_DAYS}"
    )]
    DeadlineTooLong {
        stage: usize,
        step: usize,
        days: u32,
    },
}

impl RouteSpec {
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.stages.is_empty() {
            return Err(SpecError::NoStages);
        }
        let last = self.stages.len() - 1;
        for (i, stage) in self.stages.iter().enumerate() {
            if stage.steps.is_empty() {
                return Err(SpecError::EmptyStage { stage: i });
            }
            if let Rule::Quorum(q) = stage.rule {
                if q == 0 || q as usize > stage.steps.len() {
                    return Err(SpecError::BadQuorum {
                        stage: i,
                        quorum: q,
                        steps: stage.steps.len(),
                    });
                }
            }
            for (j, step) in stage.steps.iter().enumerate() {
                if step.assignee.trim().is_empty() {
                    return Err(SpecError::EmptyAssignee { stage: i, step: j });
                }
                if stage.steps[..j].iter().any(|s| s.assignee == step.assignee) {
                    return Err(SpecError::DuplicateAssignee {
                        stage: i,
                        assignee: step.assignee.clone(),
                    });
                }
                if let Some(Deadline::WorkingDays(days)) = step.deadline {
                    if days > MAX_WORKING_DAYS {
                        return Err(SpecError::DeadlineTooLong {
                            stage: i,
                            step: j,
                            days,
                        });
                    }
                }
            }
            let signs = stage
                .steps
                .iter()
                .filter(|s| s.action == Action::Sign)
                .count();
            if signs > 0 {
                if i != last {
                    return Err(SpecError::SignNotInLastStage { stage: i });
                }
                if signs != stage.steps.len() || stage.rule != Rule::All {
                    return Err(SpecError::MixedSigningStage { stage: i });
                }
            }
        }
        Ok(())
    }

    pub fn has_sign_step(&self) -> bool {
        self.stages
            .iter()
            .flat_map(|s| &s.steps)
            .any(|s| s.action == Action::Sign)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteState {
    Active,
    Approved,
    Rejected,
    Returned,
    /// Withdrawn by the caller (document aborted or recalled).
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageState {
    Pending,
    Active,
    /// Its rule was satisfied.
    Completed,
    /// The reject/return that ended the route happened here.
    Failed,
    /// Never reached, or cut off because the route ended.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Pending,
    Active,
    Approved,
    ApprovedWithRemarks,
    Rejected,
    Returned,
    Signed,
    Acknowledged,
    /// No longer needed: its stage completed without it, or the route ended.
    Skipped,
}

impl StepState {
    /// Someone decided this step.
    pub fn is_decided(self) -> bool {
        !matches!(
            self,
            StepState::Pending | StepState::Active | StepState::Skipped
        )
    }

    fn is_positive(self) -> bool {
        matches!(
            self,
            StepState::Approved
                | StepState::ApprovedWithRemarks
                | StepState::Signed
                | StepState::Acknowledged
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StepRun {
    pub state: StepState,
    /// The user who acted (a substitute when `on_behalf_of` is set).
    pub decided_by: Option<String>,
    /// The assignee the substitute acted for.
    pub on_behalf_of: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub activated_at: Option<DateTime<Utc>>,
    pub due: Option<DateTime<Utc>>,
}

impl StepRun {
    fn pending() -> StepRun {
        StepRun {
            state: StepState::Pending,
            decided_by: None,
            on_behalf_of: None,
            decided_at: None,
            activated_at: None,
            due: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StageRun {
    pub state: StageState,
    pub activated_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepRun>,
}

/// The plain-data form of a [`Route`] for storage; converting it back
/// checks that it fits its spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RouteRecord {
    pub spec: RouteSpec,
    pub state: RouteState,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub stages: Vec<StageRun>,
}

/// A route being run (or finished) on one document version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RouteRecord", into = "RouteRecord")]
pub struct Route {
    spec: RouteSpec,
    state: RouteState,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    stages: Vec<StageRun>,
}

/// Errors from running a route. The suggested HTTP status is in each doc.
///
/// Messages number stages and steps from 0, as the API does
/// (`/routes/{id}/steps/{stage}/{step}`), and name states and actions by
/// their API names. A user id is printed as given: a caller that answers
/// people replaces it with a name first ([`RouteError::naming_users`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// 422: the route template is invalid.
    #[error("invalid route: {0}")]
    InvalidSpec(#[from] SpecError),
    /// 404: no step at these indices.
    #[error("no step {step} in stage {stage}")]
    NoSuchStep { stage: usize, step: usize },
    /// 403: the actor is not the assignee and does not act for them.
    #[error("{actor} is not the assignee of stage {stage}, step {step}")]
    NotAssignee {
        actor: String,
        stage: usize,
        step: usize,
    },
    /// 422: e.g. "sign" on an approve step.
    #[error(
        "decision '{}' does not fit this step, whose action is '{}'",
        .decision.as_str(),
        .action.as_str()
    )]
    DecisionDoesNotFitAction { decision: Decision, action: Action },
    /// 409: the route already ended.
    #[error("the route is already {}", .0.as_str())]
    RouteClosed(RouteState),
    /// 409: the step was already decided.
    #[error("stage {stage}, step {step} was already decided ({})", .state.as_str())]
    AlreadyDecided {
        stage: usize,
        step: usize,
        state: StepState,
    },
    /// 409: the step is not (or no longer) waiting for a decision.
    #[error("stage {stage}, step {step} is not active ({})", .state.as_str())]
    StepNotActive {
        stage: usize,
        step: usize,
        state: StepState,
    },
    /// 500/422: a deadline could not be computed.
    #[error("deadline: {0}")]
    Calendar(#[from] CalendarError),
    /// 500: a stored route does not fit its spec.
    #[error("stored route is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl RouteError {
    /// The same error with every user id it carries replaced by `name(id)`
    /// (a login and full name, say), for a message a person reads.
    pub fn naming_users(self, mut name: impl FnMut(&str) -> String) -> RouteError {
        match self {
            RouteError::NotAssignee { actor, stage, step } => RouteError::NotAssignee {
                actor: name(&actor),
                stage,
                step,
            },
            RouteError::InvalidSpec(e) => RouteError::InvalidSpec(e.naming_users(name)),
            other => other,
        }
    }
}

impl SpecError {
    /// The same error with the user id it may carry replaced by `name(id)`.
    pub fn naming_users(self, mut name: impl FnMut(&str) -> String) -> SpecError {
        match self {
            SpecError::DuplicateAssignee { stage, assignee } => SpecError::DuplicateAssignee {
                stage,
                assignee: name(&assignee),
            },
            other => other,
        }
    }
}

/// A step that became active: who must act, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActiveStep {
    pub stage: usize,
    pub step: usize,
    pub assignee: String,
    pub action: Action,
    pub activated_at: Option<DateTime<Utc>>,
    pub due: Option<DateTime<Utc>>,
}

/// What a decision changed, so the caller can update the document and
/// notify people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DecisionOutcome {
    /// The decided step's new state.
    pub step_state: StepState,
    /// Index of the stage that completed with this decision.
    pub stage_completed: Option<usize>,
    /// `(stage, step)` of steps that were skipped by this decision.
    pub skipped: Vec<(usize, usize)>,
    /// Steps of the next stage, now waiting for their assignees.
    pub activated: Vec<ActiveStep>,
    /// Set when the route ended: `Approved`, `Rejected` or `Returned`.
    pub route_finished: Option<RouteState>,
    /// The event to apply to the document when the route ended.
    pub document_event: Option<DocumentEvent>,
}

impl Route {
    /// Validates `spec` and activates stage 0, resolving its working-day
    /// deadlines from `now`.
    pub fn start(
        spec: RouteSpec,
        now: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<Route, RouteError> {
        spec.validate()?;
        let stages = spec
            .stages
            .iter()
            .map(|s| StageRun {
                state: StageState::Pending,
                activated_at: None,
                finished_at: None,
                steps: s.steps.iter().map(|_| StepRun::pending()).collect(),
            })
            .collect();
        let mut route = Route {
            spec,
            state: RouteState::Active,
            started_at: now,
            finished_at: None,
            stages,
        };
        route.activate_stage(0, now, calendar)?;
        Ok(route)
    }

    /// Rebuilds a stored route, checking it fits its spec.
    pub fn from_record(r: RouteRecord) -> Result<Route, RouteError> {
        r.spec.validate()?;
        if r.stages.len() != r.spec.stages.len() {
            return Err(RouteError::Inconsistent("stage count differs from spec"));
        }
        if r.stages
            .iter()
            .zip(&r.spec.stages)
            .any(|(run, spec)| run.steps.len() != spec.steps.len())
        {
            return Err(RouteError::Inconsistent("step count differs from spec"));
        }
        let active = r
            .stages
            .iter()
            .filter(|s| s.state == StageState::Active)
            .count();
        let want_active = usize::from(r.state == RouteState::Active);
        if active != want_active {
            return Err(RouteError::Inconsistent(
                "an active route has exactly one active stage, a closed one none",
            ));
        }
        if r.stages.iter().any(|s| {
            s.state != StageState::Active && s.steps.iter().any(|t| t.state == StepState::Active)
        }) {
            return Err(RouteError::Inconsistent(
                "active step outside the active stage",
            ));
        }
        Ok(Route {
            spec: r.spec,
            state: r.state,
            started_at: r.started_at,
            finished_at: r.finished_at,
            stages: r.stages,
        })
    }

    pub fn spec(&self) -> &RouteSpec {
        &self.spec
    }

    pub fn state(&self) -> RouteState {
        self.state
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at
    }

    pub fn stages(&self) -> &[StageRun] {
        &self.stages
    }

    pub fn is_closed(&self) -> bool {
        self.state != RouteState::Active
    }

    /// The route has a signing stage.
    pub fn has_sign_step(&self) -> bool {
        self.spec.has_sign_step()
    }

    /// After approval the document still needs a signature outside the
    /// route (goes to `PendingSign`), because the route had no signing stage.
    pub fn needs_separate_signature(&self) -> bool {
        !self.has_sign_step()
    }

    /// Steps waiting for a decision (for inboxes).
    pub fn active_steps(&self) -> Vec<ActiveStep> {
        let mut out = Vec::new();
        for (i, (run, spec)) in self.stages.iter().zip(&self.spec.stages).enumerate() {
            for (j, (step, sspec)) in run.steps.iter().zip(&spec.steps).enumerate() {
                if step.state == StepState::Active {
                    out.push(ActiveStep {
                        stage: i,
                        step: j,
                        assignee: sspec.assignee.clone(),
                        action: sspec.action,
                        activated_at: step.activated_at,
                        due: step.due,
                    });
                }
            }
        }
        out
    }

    /// Active steps whose deadline passed.
    pub fn overdue_steps(&self, now: DateTime<Utc>) -> Vec<ActiveStep> {
        self.active_steps()
            .into_iter()
            .filter(|s| is_overdue(s.due, None, now))
            .collect()
    }

    /// Records a decision. On error the route is unchanged.
    ///
    /// Checks, in this order: the step exists (404), the actor may decide it
    /// (403), the decision fits the action (422), the route is open, the
    /// step is not decided yet, the step is active (409).
    #[allow(clippy::too_many_arguments)] // each argument is a distinct fact of the request
    pub fn decide(
        &mut self,
        stage_index: usize,
        step_index: usize,
        actor: &str,
        on_behalf_of: Option<&str>,
        decision: Decision,
        now: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<DecisionOutcome, RouteError> {
        let no_such = RouteError::NoSuchStep {
            stage: stage_index,
            step: step_index,
        };
        let spec = self
            .spec
            .stages
            .get(stage_index)
            .and_then(|s| s.steps.get(step_index))
            .ok_or_else(|| no_such.clone())?;
        let step_state = self
            .stages
            .get(stage_index)
            .and_then(|s| s.steps.get(step_index))
            .map(|s| s.state)
            .ok_or(no_such)?;

        // Acting "on behalf of" yourself is just acting.
        let on_behalf_of = on_behalf_of.filter(|p| *p != actor);
        let principal = on_behalf_of.unwrap_or(actor);
        if principal != spec.assignee {
            return Err(RouteError::NotAssignee {
                actor: actor.to_owned(),
                stage: stage_index,
                step: step_index,
            });
        }
        if !decision.fits(spec.action) {
            return Err(RouteError::DecisionDoesNotFitAction {
                decision,
                action: spec.action,
            });
        }
        if self.is_closed() {
            return Err(RouteError::RouteClosed(self.state));
        }
        if step_state.is_decided() {
            return Err(RouteError::AlreadyDecided {
                stage: stage_index,
                step: step_index,
                state: step_state,
            });
        }
        if step_state != StepState::Active {
            return Err(RouteError::StepNotActive {
                stage: stage_index,
                step: step_index,
                state: step_state,
            });
        }

        // Work on a copy so a failure (e.g. a deadline out of range) leaves
        // `self` untouched.
        let mut next = self.clone();
        let outcome = next.apply(
            stage_index,
            step_index,
            actor,
            on_behalf_of,
            decision,
            now,
            calendar,
        )?;
        *self = next;
        Ok(outcome)
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        stage_index: usize,
        step_index: usize,
        actor: &str,
        on_behalf_of: Option<&str>,
        decision: Decision,
        now: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<DecisionOutcome, RouteError> {
        let missing = RouteError::Inconsistent("stage vanished");
        let stage = self.stages.get_mut(stage_index).ok_or(missing.clone())?;
        let step = stage.steps.get_mut(step_index).ok_or(missing.clone())?;
        step.state = decision.step_state();
        step.decided_by = Some(actor.to_owned());
        step.on_behalf_of = on_behalf_of.map(str::to_owned);
        step.decided_at = Some(now);

        let mut outcome = DecisionOutcome {
            step_state: step.state,
            stage_completed: None,
            skipped: Vec::new(),
            activated: Vec::new(),
            route_finished: None,
            document_event: None,
        };

        if !decision.is_positive() {
            stage.state = StageState::Failed;
            stage.finished_at = Some(now);
            let (route_state, event) = if decision == Decision::Reject {
                (RouteState::Rejected, DocumentEvent::Rejected)
            } else {
                (RouteState::Returned, DocumentEvent::ReturnedForRevision)
            };
            self.close(route_state, now, &mut outcome.skipped);
            outcome.route_finished = Some(route_state);
            outcome.document_event = Some(event);
            return Ok(outcome);
        }

        let rule = self
            .spec
            .stages
            .get(stage_index)
            .map(|s| s.rule)
            .ok_or(missing.clone())?;
        let stage = self.stages.get_mut(stage_index).ok_or(missing)?;
        let positive = stage.steps.iter().filter(|s| s.state.is_positive()).count();
        let satisfied = match rule {
            Rule::All => positive == stage.steps.len(),
            Rule::Any => positive >= 1,
            Rule::Quorum(n) => positive >= n as usize,
        };
        if !satisfied {
            return Ok(outcome);
        }

        stage.state = StageState::Completed;
        stage.finished_at = Some(now);
        for (j, s) in stage.steps.iter_mut().enumerate() {
            if matches!(s.state, StepState::Active | StepState::Pending) {
                s.state = StepState::Skipped;
                outcome.skipped.push((stage_index, j));
            }
        }
        outcome.stage_completed = Some(stage_index);

        let next_stage = stage_index + 1;
        if next_stage < self.stages.len() {
            outcome.activated = self.activate_stage(next_stage, now, calendar)?;
        } else {
            self.state = RouteState::Approved;
            self.finished_at = Some(now);
            outcome.route_finished = Some(RouteState::Approved);
            outcome.document_event = Some(DocumentEvent::RouteApproved {
                needs_signature: self.needs_separate_signature(),
            });
        }
        Ok(outcome)
    }

    fn activate_stage(
        &mut self,
        index: usize,
        now: DateTime<Utc>,
        calendar: &WorkingCalendar,
    ) -> Result<Vec<ActiveStep>, RouteError> {
        let missing = RouteError::Inconsistent("stage vanished");
        let spec = self.spec.stages.get(index).ok_or(missing.clone())?;
        let run = self.stages.get_mut(index).ok_or(missing)?;
        run.state = StageState::Active;
        run.activated_at = Some(now);
        let mut activated = Vec::new();
        for (j, (step, sspec)) in run.steps.iter_mut().zip(&spec.steps).enumerate() {
            let due = sspec
                .deadline
                .map(|d| d.resolve(calendar, now))
                .transpose()?;
            step.state = StepState::Active;
            step.activated_at = Some(now);
            step.due = due;
            activated.push(ActiveStep {
                stage: index,
                step: j,
                assignee: sspec.assignee.clone(),
                action: sspec.action,
                activated_at: Some(now),
                due,
            });
        }
        Ok(activated)
    }

    /// Ends the route: every undecided step and unfinished stage is skipped.
    fn close(&mut self, state: RouteState, now: DateTime<Utc>, skipped: &mut Vec<(usize, usize)>) {
        self.state = state;
        self.finished_at = Some(now);
        for (i, stage) in self.stages.iter_mut().enumerate() {
            if matches!(stage.state, StageState::Pending | StageState::Active) {
                stage.state = StageState::Skipped;
                if stage.activated_at.is_some() {
                    stage.finished_at = Some(now);
                }
            }
            for (j, step) in stage.steps.iter_mut().enumerate() {
                if matches!(step.state, StepState::Pending | StepState::Active) {
                    step.state = StepState::Skipped;
                    skipped.push((i, j));
                }
            }
        }
    }

    /// Withdraws an open route (document aborted or recalled by its author;
    /// who may do that is the caller's rule). Returns the skipped steps.
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<Vec<(usize, usize)>, RouteError> {
        if self.is_closed() {
            return Err(RouteError::RouteClosed(self.state));
        }
        let mut skipped = Vec::new();
        self.close(RouteState::Cancelled, now, &mut skipped);
        Ok(skipped)
    }
}

impl TryFrom<RouteRecord> for Route {
    type Error = RouteError;

    fn try_from(r: RouteRecord) -> Result<Self, Self::Error> {
        Route::from_record(r)
    }
}

impl From<Route> for RouteRecord {
    fn from(r: Route) -> Self {
        RouteRecord {
            spec: r.spec,
            state: r.state,
            started_at: r.started_at,
            finished_at: r.finished_at,
            stages: r.stages,
        }
    }
}

#[cfg(test)]
mod tests;
