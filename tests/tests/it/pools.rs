//! What a pooled connection carries back to the pool. sqlx pings every connection it
//! takes back, which also finishes what a dropped transaction or an abandoned
//! statement left behind — at once, not at the connection's next use. Written for a
//! pool that flushed instead of pinging (README → Performance, "Tried and not kept:
//! no ping as a connection goes back"); with one that did nothing on return, the
//! first test failed.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kapok_api::db::connect_pool;
use kapok_tests::TestDb;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, Statement, StreamTrait, TransactionTrait,
};

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// A transaction dropped without commit is rolled back as its connection goes back:
/// its lock is released for others while the connection sits idle in the pool, and
/// the connection's next statement runs outside it.
#[tokio::test]
async fn a_dropped_transaction_is_rolled_back_when_its_connection_goes_back() {
    let test_db = TestDb::create().await;
    // One connection each: the dropping pool's next statement gets the same one.
    let dropping = connect_pool(test_db.url(), 1).await.unwrap();
    let other = connect_pool(test_db.url(), 1).await.unwrap();
    dropping
        .execute_unprepared("CREATE TABLE pool_probe (n BIGINT NOT NULL)")
        .await
        .unwrap();

    let txn = dropping.begin().await.unwrap();
    txn.execute_unprepared("INSERT INTO pool_probe (n) VALUES (1)")
        .await
        .unwrap();
    drop(txn);

    // Another connection needs the table's lock the transaction held. Left queued on
    // the idle connection, the ROLLBACK would hold it until that connection's next
    // use — never, here — and this would wait out its timeout and fail.
    let started = Instant::now();
    let lock = match other.get_database_backend() {
        DbBackend::Postgres => {
            "BEGIN; SET LOCAL lock_timeout = '5s'; \
             LOCK TABLE pool_probe IN ACCESS EXCLUSIVE MODE; \
             INSERT INTO pool_probe (n) VALUES (2); COMMIT"
        }
        // sqlx waits out SQLite's busy timeout for the write lock.
        _ => "INSERT INTO pool_probe (n) VALUES (2)",
    };
    other.execute_unprepared(lock).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count(&other, "SELECT COUNT(*) FROM pool_probe").await, 1);
    assert_eq!(
        count(&other, "SELECT COUNT(*) FROM pool_probe WHERE n = 1").await,
        0
    );
    // The dropping pool's connection is back, outside any transaction: what it
    // writes now is committed for everyone.
    dropping
        .execute_unprepared("INSERT INTO pool_probe (n) VALUES (3)")
        .await
        .unwrap();
    assert_eq!(
        count(&other, "SELECT COUNT(*) FROM pool_probe WHERE n = 3").await,
        1
    );
}

/// A statement whose rows were abandoned after the first leaves no rows behind for
/// the connection's next statement, whose answer is its own.
#[tokio::test]
async fn an_abandoned_statement_leaves_nothing_for_the_next() {
    let test_db = TestDb::create().await;
    let db = connect_pool(test_db.url(), 1).await.unwrap();
    let backend = db.get_database_backend();
    let many = match backend {
        DbBackend::Postgres => "SELECT n FROM generate_series(1::bigint, $1) AS n",
        _ => {
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) \
             SELECT n FROM s"
        }
    };
    for round in 0..3_i64 {
        {
            let statement = Statement::from_sql_and_values(backend, many, [200_000_i64.into()]);
            let mut rows = db.stream_raw(statement).await.unwrap();
            let first = rows.next().await.unwrap().unwrap();
            assert_eq!(first.try_get_by_index::<i64>(0).unwrap(), 1);
        }
        let started = Instant::now();
        let sql = match backend {
            DbBackend::Postgres => "SELECT $1::bigint + 1",
            _ => "SELECT ? + 1",
        };
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [round.into()]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), round + 1);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
