//! ns per `check` and per `plan` for principals with 1, 10 and 100 assignments.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use policies::{check, plan, Action, Assignment, Policy, Principal, Resource, UnitCode};
use std::hint::black_box;

fn principal(n: usize) -> Principal {
    // Street admins across many streets, as a district office with many delegations.
    let assignments = (0..n)
        .map(|i| Assignment {
            id: i as i64 + 1,
            role: if i % 3 == 0 {
                "street_admin"
            } else {
                "social_worker"
            }
            .into(),
            unit: UnitCode::parse(&format!("4401{:02}{:03}", 3 + i % 10, 1 + i)).unwrap(),
            expires_at: None,
        })
        .collect();
    Principal {
        user_id: Some(1),
        assignments,
        now: 0,
    }
}

fn bench(c: &mut Criterion) {
    let policy = Policy::default_policy().unwrap();
    let target = UnitCode::parse("440104003108").unwrap();
    let mut g = c.benchmark_group("check");
    for n in [1, 10, 100] {
        let p = principal(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| {
                check(
                    &policy,
                    black_box(p),
                    Resource::User,
                    Action::Read,
                    black_box(&target),
                )
                .allowed()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("plan");
    for n in [1, 10, 100] {
        let p = principal(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| {
            b.iter(|| {
                plan(&policy, black_box(p), Resource::User, Action::Read)
                    .subtrees
                    .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
