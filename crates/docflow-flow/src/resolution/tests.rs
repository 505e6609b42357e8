use super::*;
use chrono::{TimeDelta, TimeZone};
use proptest::prelude::*;

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, d, 13, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    day(1)
}

fn ex(user: &str, responsible: bool, deadline: DateTime<Utc>) -> ExecutorSpec {
    ExecutorSpec {
        user: user.into(),
        responsible,
        deadline,
    }
}

/// Resolution due on the 20th; "resp" due the 15th, "co" due the 10th;
/// controlled by "ctl", authored by "head", prepared by "asst".
fn spec() -> ResolutionSpec {
    ResolutionSpec {
        instruction: "Prepare a reply".into(),
        deadline: day(20),
        controller: "ctl".into(),
        executors: vec![ex("resp", true, day(15)), ex("co", false, day(10))],
    }
}

fn active() -> Resolution {
    let mut r = Resolution::new(spec(), "head", "asst", Some(day(25)), now()).unwrap();
    r.sign("head", now()).unwrap();
    r
}

#[test]
fn resolution_table_exhaustive() {
    use ResolutionOp as O;
    use ResolutionState as S;
    let legal = [
        (S::Draft, O::Sign, S::Active),
        (S::Draft, O::Cancel, S::Cancelled),
        (S::Active, O::Cancel, S::Cancelled),
        (S::Active, O::ResponsibleExecuted, S::Executed),
    ];
    for s in [S::Draft, S::Active, S::Executed, S::Cancelled] {
        for op in [O::Sign, O::Cancel, O::ResponsibleExecuted] {
            let want = legal
                .iter()
                .find(|(ls, lo, _)| *ls == s && *lo == op)
                .map(|l| l.2);
            match want {
                Some(n) => assert_eq!(resolution_transition(s, op), Ok(n)),
                None => assert_eq!(
                    resolution_transition(s, op),
                    Err(ResolutionError::WrongResolutionState { state: s, op })
                ),
            }
        }
    }
}

#[test]
fn assignment_table_exhaustive() {
    use AssignmentOp as O;
    use AssignmentState as S;
    let legal = [
        (S::Assigned, O::Report, S::Reported),
        (S::OnRework, O::Report, S::Reported),
        (S::Reported, O::AcceptReport, S::Executed),
        (S::Reported, O::ReturnReport, S::OnRework),
    ];
    for s in [S::Assigned, S::Reported, S::Executed, S::OnRework] {
        for op in [O::Report, O::AcceptReport, O::ReturnReport] {
            let want = legal
                .iter()
                .find(|(ls, lo, _)| *ls == s && *lo == op)
                .map(|l| l.2);
            match want {
                Some(n) => assert_eq!(assignment_transition(s, op), Ok(n)),
                None => assert_eq!(
                    assignment_transition(s, op),
                    Err(ResolutionError::WrongAssignmentState { state: s, op })
                ),
            }
        }
    }
}

#[test]
fn spec_validation() {
    use ResolutionSpecError as E;
    assert_eq!(spec().validate(None), Ok(()));
    let with = |f: &dyn Fn(&mut ResolutionSpec)| {
        let mut s = spec();
        f(&mut s);
        s.validate(None)
    };
    assert_eq!(
        with(&|s| s.instruction = "  ".into()),
        Err(E::EmptyInstruction)
    );
    assert_eq!(with(&|s| s.controller = "".into()), Err(E::EmptyController));
    assert_eq!(with(&|s| s.executors.clear()), Err(E::NoExecutors));
    assert_eq!(
        with(&|s| s.executors[1].user = " ".into()),
        Err(E::EmptyExecutor)
    );
    assert_eq!(
        with(&|s| s.executors[1].user = "resp".into()),
        Err(E::DuplicateExecutor("resp".into()))
    );
    assert_eq!(
        with(&|s| s.executors[0].responsible = false),
        Err(E::NoResponsible)
    );
    assert_eq!(
        with(&|s| s.executors[1].responsible = true),
        Err(E::SeveralResponsible(2))
    );
    assert_eq!(
        with(&|s| s.controller = "co".into()),
        Err(E::ControllerIsExecutor("co".into()))
    );
    assert_eq!(
        with(&|s| s.executors[1].deadline = day(21)),
        Err(E::ExecutorDeadlineAfterResolution("co".into()))
    );
    // Equal deadlines are fine.
    assert_eq!(with(&|s| s.executors[1].deadline = day(20)), Ok(()));
    assert_eq!(spec().validate(Some(day(20))), Ok(()));
    assert_eq!(spec().validate(Some(day(19))), Err(E::DeadlineAfterParent));
    assert!(matches!(
        Resolution::new(spec(), "head", "asst", Some(day(19)), now()),
        Err(ResolutionError::InvalidSpec(E::DeadlineAfterParent))
    ));
}

#[test]
fn draft_is_signed_only_by_its_author() {
    let mut r = Resolution::new(spec(), "head", "asst", None, now()).unwrap();
    assert_eq!(r.state(), ResolutionState::Draft);
    // Not in effect: nobody can report yet, nothing is overdue.
    assert_eq!(
        r.report("resp", now()),
        Err(ResolutionError::NotInEffect(ResolutionState::Draft))
    );
    assert!(r.overdue_assignments(day(30)).is_empty());
    assert_eq!(r.timeliness(day(30)), Timeliness::NoDeadline);
    assert_eq!(
        r.sign("asst", now()),
        Err(ResolutionError::NotAuthor("asst".into()))
    );
    r.sign("head", day(2)).unwrap();
    assert_eq!(r.state(), ResolutionState::Active);
    assert_eq!(r.record().signed_at, Some(day(2)));
    assert_eq!(
        r.sign("head", day(2)),
        Err(ResolutionError::WrongResolutionState {
            state: ResolutionState::Active,
            op: ResolutionOp::Sign
        })
    );
}

#[test]
fn report_accept_return_cycle() {
    let mut r = active();
    assert_eq!(
        r.report("ctl", day(2)),
        Err(ResolutionError::NotExecutor("ctl".into()))
    );
    r.report("co", day(5)).unwrap();
    assert_eq!(
        r.report("co", day(5)),
        Err(ResolutionError::WrongAssignmentState {
            state: AssignmentState::Reported,
            op: AssignmentOp::Report
        })
    );
    // Only the controller reviews.
    assert_eq!(
        r.return_report("co", "head", day(6)),
        Err(ResolutionError::NotController("head".into()))
    );
    assert_eq!(
        r.accept_report("co", "co", day(6)),
        Err(ResolutionError::NotController("co".into()))
    );
    r.return_report("co", "ctl", day(6)).unwrap();
    assert_eq!(r.assignment("co").unwrap().state, AssignmentState::OnRework);
    r.report("co", day(11)).unwrap();
    assert_eq!(r.accept_report("co", "ctl", day(12)), Ok(false));
    let co = r.assignment("co").unwrap();
    assert_eq!(co.state, AssignmentState::Executed);
    // Lateness counts from the accepted report (day 11), after day 10.
    assert_eq!(co.completed_at, Some(day(11)));
    assert!(co.completed_late());
    assert_eq!(co.timeliness(day(12)), Timeliness::CompletedLate);
    assert_eq!(r.state(), ResolutionState::Active);
    assert_eq!(
        r.accept_report("nobody", "ctl", day(12)),
        Err(ResolutionError::NotExecutor("nobody".into()))
    );
}

#[test]
fn responsible_execution_executes_the_resolution() {
    let mut r = active();
    r.report("resp", day(14)).unwrap();
    assert_eq!(r.accept_report("resp", "ctl", day(16)), Ok(true));
    assert_eq!(r.state(), ResolutionState::Executed);
    assert_eq!(r.record().finished_at, Some(day(16)));
    // Reported on the 14th, before the 15th: in time despite late acceptance.
    assert!(!r.assignment("resp").unwrap().completed_late());
    assert_eq!(r.timeliness(day(30)), Timeliness::CompletedInTime);
    // The co-executor may still report late and be accepted.
    assert!(r
        .overdue_assignments(day(17))
        .iter()
        .any(|a| a.user == "co"));
    r.report("co", day(17)).unwrap();
    assert_eq!(r.accept_report("co", "ctl", day(17)), Ok(false));
    assert!(r.assignment("co").unwrap().completed_late());
    // But no more extensions, cancellation or sub-resolutions.
    assert_eq!(
        r.cancel("head", day(18)),
        Err(ResolutionError::WrongResolutionState {
            state: ResolutionState::Executed,
            op: ResolutionOp::Cancel
        })
    );
    assert_eq!(
        r.sub_resolution_limit("co"),
        Err(ResolutionError::NotInEffect(ResolutionState::Executed))
    );
}

#[test]
fn cancel_by_author_only_and_stops_everything() {
    let mut r = active();
    r.request_extension("co", day(12), day(2)).unwrap();
    assert_eq!(
        r.cancel("ctl", day(3)),
        Err(ResolutionError::NotAuthor("ctl".into()))
    );
    r.cancel("head", day(3)).unwrap();
    assert_eq!(r.state(), ResolutionState::Cancelled);
    assert_eq!(
        r.assignment("co").unwrap().extensions[0].state,
        ExtensionState::Withdrawn
    );
    let closed = ResolutionError::NotInEffect(ResolutionState::Cancelled);
    assert_eq!(r.report("co", day(4)), Err(closed.clone()));
    assert_eq!(
        r.request_extension("resp", day(16), day(4)),
        Err(closed.clone())
    );
    assert_eq!(r.decide_extension("co", "ctl", true, day(4)), Err(closed));
    assert!(r.overdue_assignments(day(30)).is_empty());
}

#[test]
fn extension_rules() {
    use ResolutionError as E;
    let mut r = active();
    assert_eq!(
        r.request_extension("ctl", day(12), now()),
        Err(E::NotExecutor("ctl".into()))
    );
    assert_eq!(
        r.request_extension("co", day(10), now()),
        Err(E::ExtensionNotLater)
    );
    assert_eq!(
        r.request_extension("co", day(21), now()),
        Err(E::ExtensionBeyondResolution)
    );
    // Asked after the old deadline for a date also already past.
    assert_eq!(
        r.request_extension("co", day(11), day(12)),
        Err(E::ExtensionInPast)
    );
    // Responsible: may pass the resolution deadline, not the parent one.
    assert_eq!(
        r.request_extension("resp", day(26), now()),
        Err(E::ExtensionBeyondParent)
    );

    r.request_extension("co", day(13), now()).unwrap();
    assert_eq!(
        r.request_extension("co", day(14), now()),
        Err(E::ExtensionPending)
    );
    assert_eq!(
        r.decide_extension("co", "resp", true, day(2)),
        Err(E::NotAuthorOrController("resp".into()))
    );
    r.decide_extension("co", "ctl", false, day(2)).unwrap();
    let co = r.assignment("co").unwrap();
    assert_eq!(co.deadline, day(10));
    assert_eq!(co.extensions[0].state, ExtensionState::Refused);
    assert!(!co.was_extended());
    assert_eq!(
        r.decide_extension("co", "ctl", true, day(2)),
        Err(E::NoPendingExtension)
    );

    r.request_extension("co", day(13), day(3)).unwrap();
    r.decide_extension("co", "head", true, day(3)).unwrap();
    let co = r.assignment("co").unwrap();
    assert_eq!(co.deadline, day(13));
    assert!(co.was_extended());
    assert_eq!(co.extensions[1].previous_deadline, day(10));
    assert_eq!(co.extensions[1].decided_by.as_deref(), Some("head"));
    // The spec keeps the original deadline.
    assert_eq!(r.spec().executors[1].deadline, day(10));

    // The responsible executor's extension moves the resolution deadline.
    r.request_extension("resp", day(24), day(3)).unwrap();
    r.decide_extension("resp", "ctl", true, day(4)).unwrap();
    assert_eq!(r.deadline(), day(24));
    assert_eq!(r.assignment("resp").unwrap().deadline, day(24));

    // Reported work cannot ask for more time; a pending request is
    // withdrawn when the work is accepted.
    r.request_extension("resp", day(25), day(4)).unwrap();
    r.report("resp", day(5)).unwrap();
    assert_eq!(
        r.request_extension("co", day(14), day(5)).and(Ok(())),
        Ok(())
    );
    r.report("co", day(6)).unwrap();
    assert_eq!(
        r.request_extension("co", day(15), day(6)),
        Err(E::AssignmentNotOpen(AssignmentState::Reported))
    );
    r.accept_report("resp", "ctl", day(6)).unwrap();
    assert_eq!(
        r.assignment("resp")
            .unwrap()
            .extensions
            .last()
            .unwrap()
            .state,
        ExtensionState::Withdrawn
    );
}

#[test]
fn sub_resolution_limit_is_the_executors_deadline() {
    let mut r = active();
    assert_eq!(r.sub_resolution_limit("co"), Ok(day(10)));
    assert_eq!(
        r.sub_resolution_limit("x"),
        Err(ResolutionError::NotExecutor("x".into()))
    );
    let limit = r.sub_resolution_limit("resp").unwrap();
    let sub = ResolutionSpec {
        instruction: "Draft the reply".into(),
        deadline: day(15),
        controller: "resp".into(),
        executors: vec![ex("clerk", true, day(14))],
    };
    assert!(Resolution::new(sub.clone(), "resp", "resp", Some(limit), now()).is_ok());
    let too_late = ResolutionSpec {
        deadline: day(16),
        ..sub
    };
    assert!(Resolution::new(too_late, "resp", "resp", Some(limit), now()).is_err());
    r.report("co", day(2)).unwrap();
    r.accept_report("co", "ctl", day(2)).unwrap();
    assert_eq!(
        r.sub_resolution_limit("co"),
        Err(ResolutionError::AssignmentNotOpen(
            AssignmentState::Executed
        ))
    );
}

#[test]
fn overdue_helpers() {
    let r = active();
    assert!(r.overdue_assignments(day(10)).is_empty());
    let after = day(10) + TimeDelta::seconds(1);
    let overdue: Vec<_> = r
        .overdue_assignments(after)
        .iter()
        .map(|a| a.user.clone())
        .collect();
    assert_eq!(overdue, vec!["co".to_string()]);
    assert_eq!(r.timeliness(day(21)), Timeliness::Overdue);
    assert_eq!(r.timeliness(day(19)), Timeliness::InTime);
}

#[test]
fn co_executor_work_stays_open_after_the_resolution_is_executed() {
    let mut r = active();
    r.report("resp", day(2)).unwrap();
    assert!(r.accept_report("resp", "ctl", day(3)).unwrap());
    assert_eq!(r.state(), ResolutionState::Executed);
    let co = r.assignment("co").unwrap().clone();
    let resp = r.assignment("resp").unwrap().clone();
    assert_eq!(r.awaiting(&co), Some(Awaiting::Executor));
    assert_eq!(r.awaiting(&resp), None);
    let late = day(10) + TimeDelta::seconds(1);
    let overdue: Vec<_> = r
        .overdue_assignments(late)
        .iter()
        .map(|a| a.user.clone())
        .collect();
    assert_eq!(overdue, vec!["co".to_string()]);
    r.report("co", late).unwrap();
    let co = r.assignment("co").unwrap().clone();
    assert_eq!(r.awaiting(&co), Some(Awaiting::Controller));
    r.accept_report("co", "ctl", late).unwrap();
    let co = r.assignment("co").unwrap().clone();
    assert_eq!(r.awaiting(&co), None);
    // Cancelled or draft: nothing waits.
    let mut c = active();
    c.cancel("head", day(2)).unwrap();
    assert!(c.assignments().iter().all(|a| c.awaiting(a).is_none()));
    let d = Resolution::new(spec(), "head", "asst", None, now()).unwrap();
    assert!(d.assignments().iter().all(|a| d.awaiting(a).is_none()));
}

#[test]
fn refusals_name_states_and_actions_as_the_api_does() {
    let mut r = active();
    let msg = |e: ResolutionError| e.to_string();
    assert_eq!(
        msg(r.accept_report("co", "ctl", day(2)).unwrap_err()),
        "cannot accept: the assignment is assigned"
    );
    assert_eq!(
        msg(r.sign("head", day(2)).unwrap_err()),
        "cannot sign: the resolution is active"
    );
    r.report("co", day(2)).unwrap();
    assert_eq!(
        msg(r.request_extension("co", day(9), day(2)).unwrap_err()),
        "the assignment is already reported"
    );
    let mut c = active();
    c.cancel("head", day(2)).unwrap();
    assert_eq!(
        msg(c.report("co", day(2)).unwrap_err()),
        "the resolution is cancelled, not in effect for this action"
    );
    let named = r
        .accept_report("co", "resp", day(2))
        .unwrap_err()
        .naming_users(|id| format!("<{id}>"));
    assert_eq!(
        msg(named),
        "<resp> is not the controller of this resolution"
    );
    let mut twice = spec();
    twice.executors.push(ex("co", false, day(10)));
    let e = Resolution::new(twice, "head", "asst", None, now())
        .unwrap_err()
        .naming_users(|id| format!("<{id}>"));
    assert_eq!(
        msg(e),
        "invalid resolution: <co> is listed twice as executor"
    );
    for s in [
        ResolutionState::Draft,
        ResolutionState::Active,
        ResolutionState::Executed,
        ResolutionState::Cancelled,
    ] {
        let text = ResolutionError::NotInEffect(s).to_string();
        assert!(
            text.contains(s.as_str()) && !text.contains(&format!("{s:?}")),
            "{text}"
        );
    }
}

#[test]
fn serde_round_trip_and_stored_checks() {
    let mut r = active();
    r.request_extension("co", day(12), now()).unwrap();
    r.report("resp", day(3)).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: Resolution = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);

    let rec: ResolutionRecord = r.into();
    let mut bad = rec.clone();
    bad.assignments.swap(0, 1);
    assert!(matches!(
        Resolution::from_record(bad),
        Err(ResolutionError::Inconsistent(_))
    ));
    let mut bad = rec.clone();
    bad.state = ResolutionState::Executed;
    assert!(matches!(
        Resolution::from_record(bad),
        Err(ResolutionError::Inconsistent(_))
    ));
    let mut bad = rec.clone();
    let e = bad.assignments[1].extensions[0].clone();
    bad.assignments[1].extensions.push(e);
    assert!(matches!(
        Resolution::from_record(bad),
        Err(ResolutionError::Inconsistent(_))
    ));
    let mut bad = rec;
    bad.spec.instruction.clear();
    assert!(matches!(
        Resolution::from_record(bad),
        Err(ResolutionError::InvalidSpec(_))
    ));
}

proptest! {
    /// Random operations by random actors never panic, failed operations
    /// change nothing, and the stored form always reloads.
    #[test]
    fn random_operations_keep_invariants(
        ops in prop::collection::vec((0usize..7, 0usize..5, 0usize..5, 0i64..30), 0..40),
    ) {
        let users = ["head", "ctl", "resp", "co", "x"];
        let mut r = Resolution::new(spec(), "head", "asst", Some(day(25)), now()).unwrap();
        for (op, a, b, d) in ops {
            let (actor, other) = (users[a], users[b]);
            let t = now() + TimeDelta::days(d);
            let before = r.clone();
            let res = match op {
                0 => r.sign(actor, t),
                1 => r.cancel(actor, t),
                2 => r.report(actor, t),
                3 => r.accept_report(other, actor, t).map(|_| ()),
                4 => r.return_report(other, actor, t),
                5 => r.request_extension(actor, t + TimeDelta::days(2), t),
                _ => r.decide_extension(other, actor, d % 2 == 0, t),
            };
            if res.is_err() {
                prop_assert_eq!(&r, &before);
            }
            // `awaiting` is exactly what the actions accept.
            for asg in r.assignments() {
                let waits = r.awaiting(asg);
                prop_assert_eq!(
                    waits == Some(Awaiting::Executor),
                    r.clone().report(&asg.user, t).is_ok()
                );
                prop_assert_eq!(
                    waits == Some(Awaiting::Controller),
                    r.clone().accept_report(&asg.user, "ctl", t).is_ok()
                );
                prop_assert_eq!(
                    waits == Some(Awaiting::Controller),
                    r.clone().return_report(&asg.user, "ctl", t).is_ok()
                );
                prop_assert_eq!(
                    r.awaits_extension_decision(asg),
                    r.clone().decide_extension(&asg.user, "ctl", false, t).is_ok()
                );
            }
            let reloaded: Resolution =
                serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
            prop_assert_eq!(&reloaded, &r);
            for asg in r.assignments() {
                if !asg.responsible {
                    prop_assert!(asg.deadline <= r.deadline());
                }
                prop_assert!(r.deadline() <= day(25));
            }
        }
    }
}
