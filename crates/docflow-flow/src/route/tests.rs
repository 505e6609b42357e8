use super::*;
use chrono::{NaiveDate, TimeDelta, TimeZone};
use proptest::prelude::*;

fn cal() -> WorkingCalendar {
    WorkingCalendar::default_uzbekistan()
}

/// Monday 2026-06-01 10:00 in Tashkent.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap()
}

fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(18, 59, 59)
            .unwrap(),
    )
}

fn step(who: &str, action: Action) -> StepSpec {
    StepSpec {
        assignee: who.into(),
        action,
        deadline: None,
    }
}

fn stage(rule: Rule, steps: Vec<StepSpec>) -> StageSpec {
    StageSpec { steps, rule }
}

fn one_step(action: Action) -> Route {
    Route::start(
        RouteSpec {
            stages: vec![StageSpec::single(step("a", action))],
        },
        t0(),
        &cal(),
    )
    .unwrap()
}

/// approve(a) → parallel approve(b, c) under `rule` → sign(d)
fn three_stage(rule: Rule) -> Route {
    Route::start(
        RouteSpec {
            stages: vec![
                StageSpec::single(StepSpec {
                    deadline: Some(Deadline::WorkingDays(1)),
                    ..step("a", Action::Approve)
                }),
                stage(
                    rule,
                    vec![
                        StepSpec {
                            deadline: Some(Deadline::WorkingDays(2)),
                            ..step("b", Action::Approve)
                        },
                        step("c", Action::Approve),
                        step("e", Action::Acknowledge),
                    ],
                ),
                StageSpec::single(step("d", Action::Sign)),
            ],
        },
        t0(),
        &cal(),
    )
    .unwrap()
}

fn decide(
    r: &mut Route,
    st: usize,
    sp: usize,
    who: &str,
    d: Decision,
) -> Result<DecisionOutcome, RouteError> {
    r.decide(st, sp, who, None, d, t0(), &cal())
}

#[test]
fn decision_action_fit_matrix() {
    use Decision as D;
    let expected: &[(Action, &[Decision])] = &[
        (
            Action::Approve,
            &[
                D::Approve,
                D::ApproveWithRemarks,
                D::Reject,
                D::ReturnForRevision,
            ],
        ),
        (Action::Sign, &[D::Sign, D::Reject, D::ReturnForRevision]),
        (Action::Acknowledge, &[D::Acknowledge]),
    ];
    for (action, fitting) in expected {
        for d in Decision::ALL {
            assert_eq!(d.fits(*action), fitting.contains(&d), "{d:?} on {action:?}");
        }
    }
}

/// Every decision on a one-step route of every action: the resulting step,
/// stage and route states, or the 422 error.
#[test]
fn every_decision_on_every_action() {
    use Decision as D;
    for action in [Action::Approve, Action::Sign, Action::Acknowledge] {
        for d in Decision::ALL {
            let mut r = one_step(action);
            let before = r.clone();
            let res = decide(&mut r, 0, 0, "a", d);
            if !d.fits(action) {
                assert_eq!(
                    res,
                    Err(RouteError::DecisionDoesNotFitAction {
                        decision: d,
                        action
                    })
                );
                assert_eq!(r, before);
                continue;
            }
            let out = res.unwrap();
            let (step_state, stage_state, route_state, event) = match d {
                D::Approve => (
                    StepState::Approved,
                    StageState::Completed,
                    RouteState::Approved,
                    DocumentEvent::RouteApproved {
                        needs_signature: true,
                    },
                ),
                D::ApproveWithRemarks => (
                    StepState::ApprovedWithRemarks,
                    StageState::Completed,
                    RouteState::Approved,
                    DocumentEvent::RouteApproved {
                        needs_signature: true,
                    },
                ),
                D::Acknowledge => (
                    StepState::Acknowledged,
                    StageState::Completed,
                    RouteState::Approved,
                    DocumentEvent::RouteApproved {
                        needs_signature: true,
                    },
                ),
                D::Sign => (
                    StepState::Signed,
                    StageState::Completed,
                    RouteState::Approved,
                    DocumentEvent::RouteApproved {
                        needs_signature: false,
                    },
                ),
                D::Reject => (
                    StepState::Rejected,
                    StageState::Failed,
                    RouteState::Rejected,
                    DocumentEvent::Rejected,
                ),
                D::ReturnForRevision => (
                    StepState::Returned,
                    StageState::Failed,
                    RouteState::Returned,
                    DocumentEvent::ReturnedForRevision,
                ),
            };
            assert_eq!(out.step_state, step_state);
            assert_eq!(r.stages()[0].steps[0].state, step_state);
            assert_eq!(r.stages()[0].state, stage_state);
            assert_eq!(r.state(), route_state);
            assert_eq!(out.route_finished, Some(route_state));
            assert_eq!(out.document_event, Some(event));
            assert_eq!(r.finished_at(), Some(t0()));
            assert!(r.active_steps().is_empty());
            // Whatever happened, the route is now closed to every decision.
            for d2 in Decision::ALL.into_iter().filter(|d2| d2.fits(action)) {
                assert_eq!(
                    decide(&mut r, 0, 0, "a", d2),
                    Err(RouteError::RouteClosed(route_state))
                );
            }
        }
    }
}

#[test]
fn errors_for_each_step_state_and_their_order() {
    let mut r = three_stage(Rule::All);
    // 404 before anything else.
    assert_eq!(
        decide(&mut r, 0, 1, "x", Decision::Approve),
        Err(RouteError::NoSuchStep { stage: 0, step: 1 })
    );
    assert_eq!(
        decide(&mut r, 3, 0, "a", Decision::Approve),
        Err(RouteError::NoSuchStep { stage: 3, step: 0 })
    );
    // 403 before 422 and 409.
    assert_eq!(
        decide(&mut r, 1, 0, "a", Decision::Sign),
        Err(RouteError::NotAssignee {
            actor: "a".into(),
            stage: 1,
            step: 0
        })
    );
    // 422 before 409.
    assert_eq!(
        decide(&mut r, 1, 0, "b", Decision::Sign),
        Err(RouteError::DecisionDoesNotFitAction {
            decision: Decision::Sign,
            action: Action::Approve
        })
    );
    // Pending step of a later stage.
    assert_eq!(
        decide(&mut r, 1, 0, "b", Decision::Approve),
        Err(RouteError::StepNotActive {
            stage: 1,
            step: 0,
            state: StepState::Pending
        })
    );
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    // Decided step.
    assert_eq!(
        decide(&mut r, 0, 0, "a", Decision::Reject),
        Err(RouteError::AlreadyDecided {
            stage: 0,
            step: 0,
            state: StepState::Approved
        })
    );
}

#[test]
fn refusals_name_states_and_actions_as_the_api_does() {
    let mut r = three_stage(Rule::All);
    let msg = |e: RouteError| e.to_string();
    assert_eq!(
        msg(decide(&mut r, 1, 0, "b", Decision::Approve).unwrap_err()),
        "stage 1, step 0 is not active (pending)"
    );
    assert_eq!(
        msg(decide(&mut r, 0, 0, "a", Decision::Sign).unwrap_err()),
        "decision 'sign' does not fit this step, whose action is 'approve'"
    );
    let named = decide(&mut r, 0, 0, "user-id-b", Decision::Approve)
        .unwrap_err()
        .naming_users(|id| format!("<{id}>"));
    assert_eq!(
        msg(named),
        "<user-id-b> is not the assignee of stage 0, step 0"
    );
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    assert_eq!(
        msg(decide(&mut r, 0, 0, "a", Decision::ApproveWithRemarks).unwrap_err()),
        "stage 0, step 0 was already decided (approved)"
    );
    decide(&mut r, 1, 0, "b", Decision::Reject).unwrap();
    assert_eq!(
        msg(decide(&mut r, 1, 1, "c", Decision::Approve).unwrap_err()),
        "the route is already rejected"
    );
    let twice = RouteSpec {
        stages: vec![stage(
            Rule::All,
            vec![step("u1", Action::Approve), step("u1", Action::Approve)],
        )],
    };
    let e = Route::start(twice, t0(), &cal())
        .unwrap_err()
        .naming_users(|id| format!("<{id}>"));
    assert_eq!(msg(e), "invalid route: stage 0: <u1> appears twice");
}

#[test]
fn skipped_step_is_not_active() {
    let mut r = three_stage(Rule::Any);
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    let out = decide(&mut r, 1, 1, "c", Decision::ApproveWithRemarks).unwrap();
    assert_eq!(out.stage_completed, Some(1));
    assert_eq!(out.skipped, vec![(1, 0), (1, 2)]);
    assert_eq!(
        decide(&mut r, 1, 0, "b", Decision::Approve),
        Err(RouteError::StepNotActive {
            stage: 1,
            step: 0,
            state: StepState::Skipped
        })
    );
}

#[test]
fn errors_leave_the_route_unchanged() {
    let mut r = three_stage(Rule::All);
    let before = r.clone();
    for (st, sp, who, d) in [
        (9, 0, "a", Decision::Approve),
        (0, 0, "z", Decision::Approve),
        (0, 0, "a", Decision::Sign),
        (1, 0, "b", Decision::Approve),
    ] {
        assert!(decide(&mut r, st, sp, who, d).is_err());
        assert_eq!(r, before);
    }
}

#[test]
fn full_route_all_rule() {
    let mut r = three_stage(Rule::All);
    // Stage 0 active at start with a resolved deadline: Monday + 1 wd.
    let active = r.active_steps();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].assignee, "a");
    assert_eq!(active[0].due, Some(end_of(2026, 6, 2)));

    let later = t0() + TimeDelta::days(3); // Thursday
    let out = r
        .decide(0, 0, "a", None, Decision::Approve, later, &cal())
        .unwrap();
    assert_eq!(out.stage_completed, Some(0));
    assert_eq!(out.route_finished, None);
    // Stage 1 deadlines resolved at activation: Thursday + 2 wd = Monday.
    assert_eq!(out.activated.len(), 3);
    assert_eq!(out.activated[0].due, Some(end_of(2026, 6, 8)));
    assert_eq!(out.activated[1].due, None);
    assert_eq!(r.stages()[1].activated_at, Some(later));

    let out = decide(&mut r, 1, 0, "b", Decision::Approve).unwrap();
    assert_eq!(out.stage_completed, None);
    assert!(out.activated.is_empty());
    decide(&mut r, 1, 2, "e", Decision::Acknowledge).unwrap();
    let out = decide(&mut r, 1, 1, "c", Decision::ApproveWithRemarks).unwrap();
    assert_eq!(out.stage_completed, Some(1));
    assert!(out.skipped.is_empty());
    assert_eq!(out.activated[0].assignee, "d");
    assert_eq!(out.activated[0].action, Action::Sign);

    let out = decide(&mut r, 2, 0, "d", Decision::Sign).unwrap();
    assert_eq!(out.route_finished, Some(RouteState::Approved));
    assert_eq!(
        out.document_event,
        Some(DocumentEvent::RouteApproved {
            needs_signature: false
        })
    );
    assert!(r.has_sign_step());
    assert!(!r.needs_separate_signature());
    assert!(r.stages().iter().all(|s| s.state == StageState::Completed));
}

#[test]
fn quorum_completes_at_n_and_skips_the_rest() {
    let mut r = three_stage(Rule::Quorum(2));
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    let out = decide(&mut r, 1, 2, "e", Decision::Acknowledge).unwrap();
    assert_eq!(out.stage_completed, None);
    let out = decide(&mut r, 1, 0, "b", Decision::Approve).unwrap();
    assert_eq!(out.stage_completed, Some(1));
    assert_eq!(out.skipped, vec![(1, 1)]);
    assert_eq!(r.stages()[1].steps[1].state, StepState::Skipped);
    assert_eq!(r.active_steps()[0].assignee, "d");
}

#[test]
fn reject_is_a_veto_even_under_any_and_quorum() {
    for rule in [Rule::All, Rule::Any, Rule::Quorum(1), Rule::Quorum(2)] {
        let mut r = three_stage(rule);
        decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
        let out = decide(&mut r, 1, 1, "c", Decision::Reject).unwrap();
        assert_eq!(out.route_finished, Some(RouteState::Rejected), "{rule:?}");
        assert_eq!(out.document_event, Some(DocumentEvent::Rejected));
        assert_eq!(out.skipped, vec![(1, 0), (1, 2), (2, 0)]);
        assert_eq!(r.stages()[1].state, StageState::Failed);
        assert_eq!(r.stages()[2].state, StageState::Skipped);
        assert_eq!(r.stages()[2].finished_at, None);
        assert_eq!(r.stages()[0].state, StageState::Completed);
        assert!(r.active_steps().is_empty());
    }
}

#[test]
fn return_for_revision_on_a_sign_step() {
    let mut r = three_stage(Rule::Any);
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    decide(&mut r, 1, 0, "b", Decision::Approve).unwrap();
    let out = decide(&mut r, 2, 0, "d", Decision::ReturnForRevision).unwrap();
    assert_eq!(out.route_finished, Some(RouteState::Returned));
    assert_eq!(out.document_event, Some(DocumentEvent::ReturnedForRevision));
    assert_eq!(r.state(), RouteState::Returned);
}

#[test]
fn substitute_acts_on_behalf_of_the_assignee() {
    let mut r = three_stage(Rule::All);
    // A stranger acting for nobody, or for someone who is not the assignee.
    assert!(matches!(
        r.decide(0, 0, "sub", None, Decision::Approve, t0(), &cal()),
        Err(RouteError::NotAssignee { .. })
    ));
    assert!(matches!(
        r.decide(0, 0, "sub", Some("b"), Decision::Approve, t0(), &cal()),
        Err(RouteError::NotAssignee { .. })
    ));
    // The assignee cannot act "for" someone else on their own step.
    assert!(matches!(
        r.decide(0, 0, "a", Some("b"), Decision::Approve, t0(), &cal()),
        Err(RouteError::NotAssignee { .. })
    ));
    r.decide(0, 0, "sub", Some("a"), Decision::Approve, t0(), &cal())
        .unwrap();
    let s = &r.stages()[0].steps[0];
    assert_eq!(s.decided_by.as_deref(), Some("sub"));
    assert_eq!(s.on_behalf_of.as_deref(), Some("a"));
    assert_eq!(s.decided_at, Some(t0()));
    // on_behalf_of == actor is recorded as acting in person.
    r.decide(1, 0, "b", Some("b"), Decision::Approve, t0(), &cal())
        .unwrap();
    assert_eq!(r.stages()[1].steps[0].on_behalf_of, None);
}

#[test]
fn route_without_sign_stage_needs_a_separate_signature() {
    let mut r = one_step(Action::Approve);
    assert!(r.needs_separate_signature());
    let out = decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    assert_eq!(
        out.document_event,
        Some(DocumentEvent::RouteApproved {
            needs_signature: true
        })
    );
}

#[test]
fn cancel_closes_an_open_route_only() {
    let mut r = three_stage(Rule::All);
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    let skipped = r.cancel(t0()).unwrap();
    assert_eq!(skipped, vec![(1, 0), (1, 1), (1, 2), (2, 0)]);
    assert_eq!(r.state(), RouteState::Cancelled);
    assert_eq!(r.stages()[1].state, StageState::Skipped);
    assert_eq!(r.stages()[1].finished_at, Some(t0()));
    assert_eq!(
        r.cancel(t0()),
        Err(RouteError::RouteClosed(RouteState::Cancelled))
    );
    assert_eq!(
        decide(&mut r, 1, 0, "b", Decision::Approve),
        Err(RouteError::RouteClosed(RouteState::Cancelled))
    );
}

#[test]
fn overdue_steps() {
    let r = three_stage(Rule::All);
    assert!(r.overdue_steps(end_of(2026, 6, 2)).is_empty());
    let late = end_of(2026, 6, 2) + TimeDelta::seconds(1);
    assert_eq!(r.overdue_steps(late).len(), 1);
}

#[test]
fn spec_validation() {
    let ok = |stages| RouteSpec { stages }.validate();
    assert_eq!(ok(vec![]), Err(SpecError::NoStages));
    assert_eq!(
        ok(vec![stage(Rule::All, vec![])]),
        Err(SpecError::EmptyStage { stage: 0 })
    );
    let two = || vec![step("a", Action::Approve), step("b", Action::Approve)];
    assert!(matches!(
        ok(vec![stage(Rule::Quorum(0), two())]),
        Err(SpecError::BadQuorum { quorum: 0, .. })
    ));
    assert!(matches!(
        ok(vec![stage(Rule::Quorum(3), two())]),
        Err(SpecError::BadQuorum {
            quorum: 3,
            steps: 2,
            ..
        })
    ));
    assert!(ok(vec![stage(Rule::Quorum(2), two())]).is_ok());
    assert_eq!(
        ok(vec![stage(Rule::All, vec![step(" ", Action::Approve)])]),
        Err(SpecError::EmptyAssignee { stage: 0, step: 0 })
    );
    assert_eq!(
        ok(vec![stage(
            Rule::Any,
            vec![step("a", Action::Approve), step("a", Action::Acknowledge)]
        )]),
        Err(SpecError::DuplicateAssignee {
            stage: 0,
            assignee: "a".into()
        })
    );
    // The same person in two stages is fine (e.g. approves, then signs).
    assert!(ok(vec![
        StageSpec::single(step("a", Action::Approve)),
        StageSpec::single(step("a", Action::Sign)),
    ])
    .is_ok());
    assert_eq!(
        ok(vec![
            StageSpec::single(step("a", Action::Sign)),
            StageSpec::single(step("b", Action::Approve)),
        ]),
        Err(SpecError::SignNotInLastStage { stage: 0 })
    );
    assert_eq!(
        ok(vec![stage(
            Rule::All,
            vec![step("a", Action::Sign), step("b", Action::Approve)]
        )]),
        Err(SpecError::MixedSigningStage { stage: 0 })
    );
    assert_eq!(
        ok(vec![stage(
            Rule::Any,
            vec![step("a", Action::Sign), step("b", Action::Sign)]
        )]),
        Err(SpecError::MixedSigningStage { stage: 0 })
    );
    assert!(matches!(
        ok(vec![StageSpec::single(StepSpec {
            deadline: Some(Deadline::WorkingDays(MAX_WORKING_DAYS + 1)),
            ..step("a", Action::Approve)
        })]),
        Err(SpecError::DeadlineTooLong { .. })
    ));
    assert_eq!(
        Route::start(RouteSpec { stages: vec![] }, t0(), &cal()),
        Err(RouteError::InvalidSpec(SpecError::NoStages))
    );
}

#[test]
fn serde_round_trip_and_stored_route_checks() {
    let mut r = three_stage(Rule::Quorum(2));
    decide(&mut r, 0, 0, "a", Decision::Approve).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: Route = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);

    let spec_json = r#"{"stages":[{"steps":[{"assignee":"a","action":"approve",
        "deadline":{"working-days":3}}],"rule":{"quorum":1}},
        {"steps":[{"assignee":"b","action":"sign"}],"rule":"all"}]}"#;
    let spec: RouteSpec = serde_json::from_str(spec_json).unwrap();
    assert!(spec.validate().is_ok());

    let record: RouteRecord = r.clone().into();
    let mut bad = record.clone();
    bad.stages.pop();
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::Inconsistent(_))
    ));
    let mut bad = record.clone();
    bad.stages[1].steps.pop();
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::Inconsistent(_))
    ));
    let mut bad = record.clone();
    bad.stages[2].state = StageState::Active;
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::Inconsistent(_))
    ));
    let mut bad = record.clone();
    bad.state = RouteState::Approved;
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::Inconsistent(_))
    ));
    let mut bad = record.clone();
    bad.stages[2].steps[0].state = StepState::Active;
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::Inconsistent(_))
    ));
    let mut bad = record;
    bad.spec.stages.clear();
    assert!(matches!(
        Route::from_record(bad),
        Err(RouteError::InvalidSpec(_))
    ));
}

#[test]
fn deadline_out_of_range_fails_atomically() {
    let spec = RouteSpec {
        stages: vec![
            StageSpec::single(step("a", Action::Approve)),
            StageSpec::single(StepSpec {
                deadline: Some(Deadline::WorkingDays(1)),
                ..step("b", Action::Approve)
            }),
        ],
    };
    let mut r = Route::start(spec, t0(), &cal()).unwrap();
    let before = r.clone();
    let end = DateTime::<Utc>::MAX_UTC;
    assert!(matches!(
        r.decide(0, 0, "a", None, Decision::Approve, end, &cal()),
        Err(RouteError::Calendar(_))
    ));
    assert_eq!(r, before);
}

fn arb_spec() -> impl Strategy<Value = RouteSpec> {
    let users = ["u0", "u1", "u2", "u3"];
    let stage_strat = (1usize..=4, 0u32..=4, prop::bool::ANY).prop_map(move |(n, q, ack)| {
        let steps: Vec<StepSpec> = users[..n]
            .iter()
            .map(|u| {
                step(
                    u,
                    if ack {
                        Action::Acknowledge
                    } else {
                        Action::Approve
                    },
                )
            })
            .collect();
        let rule = match q {
            0 => Rule::All,
            1 => Rule::Any,
            q => Rule::Quorum(q.min(n as u32)),
        };
        StageSpec { steps, rule }
    });
    (prop::collection::vec(stage_strat, 1..4), prop::bool::ANY).prop_map(|(mut stages, sign)| {
        if sign {
            stages.push(stage(
                Rule::All,
                vec![step("u0", Action::Sign), step("u1", Action::Sign)],
            ));
        }
        RouteSpec { stages }
    })
}

proptest! {
    /// Random decision sequences never panic, errors change nothing, and the
    /// structural invariants hold after every step.
    #[test]
    fn random_decisions_keep_invariants(
        spec in arb_spec(),
        moves in prop::collection::vec(
            (prop::bool::weighted(0.8), 0usize..5, 0usize..5, 0usize..5, 0usize..6), 0..40),
    ) {
        let mut r = Route::start(spec, t0(), &cal()).unwrap();
        for (targeted, st, sp, who, d) in moves {
            let mut who = ["u0", "u1", "u2", "u3", "x"][who].to_owned();
            let (mut st, mut sp) = (st, sp);
            // Mostly aim at an active step so routes make progress.
            let active = r.active_steps();
            if targeted && !active.is_empty() {
                let a = &active[(st * 5 + sp) % active.len()];
                (st, sp, who) = (a.stage, a.step, a.assignee.clone());
            }
            let who = who.as_str();
            let before = r.clone();
            match decide(&mut r, st, sp, who, Decision::ALL[d]) {
                Err(_) => prop_assert_eq!(&r, &before),
                Ok(out) => {
                    if let Some(fin) = out.route_finished {
                        prop_assert_eq!(fin, r.state());
                    }
                }
            }
            let active_stages = r.stages().iter().filter(|s| s.state == StageState::Active).count();
            prop_assert_eq!(active_stages, usize::from(!r.is_closed()));
            if r.is_closed() {
                prop_assert!(r.active_steps().is_empty());
                prop_assert!(r.stages().iter().flat_map(|s| &s.steps)
                    .all(|s| s.state != StepState::Pending));
            }
            if r.state() == RouteState::Approved && r.has_sign_step() {
                let last = r.stages().last().unwrap();
                prop_assert!(last.steps.iter().all(|s| s.state == StepState::Signed));
            }
            // The stored form always reloads.
            let reloaded: Route = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
            prop_assert_eq!(&reloaded, &r);
        }
    }
}
