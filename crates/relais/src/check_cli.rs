//! `relais check`: the maintained counters recomputed from their rows and compared, every
//! wallet's balance from its movements, and the durable jobs given up after their attempts.

use relais_store::Db;
use relais_store::network_counters::{self, Counts};

fn show(c: Counts) -> String {
    format!(
        "vehicles {}, stations {}, trips {}",
        c.vehicles, c.stations, c.trips
    )
}

/// Print each difference; repair it when asked. True when nothing is (left) wrong.
pub async fn run(db: &Db, repair: bool) -> anyhow::Result<bool> {
    // Balances are never repaired by hand: a difference is a defect to look into, money moved
    // without its movement row (or the reverse).
    let wallets = relais_store::wallets::check(db).await?;
    for (wallet, kept, summed) in &wallets {
        println!(
            "wallet {wallet}: balance {} but its movements add up to {}",
            relais_domain::money::from_stored(*kept),
            relais_domain::money::from_stored(*summed)
        );
    }
    if wallets.is_empty() {
        println!("wallets: every balance is the sum of its movements");
    }
    // Transactions against what they moved: wallets, trips' amounts paid, refunds. Never
    // repaired either.
    let money = relais_store::transactions::check(db).await?;
    for problem in &money {
        println!("money: {problem}");
    }
    if money.is_empty() {
        println!("money: every transaction matches what it moved and its refunds");
    }
    // Invoice numbers run without gaps per billing identity (a legal requirement).
    let gaps = relais_store::invoices::gaps(db).await?;
    for (label, number) in &gaps {
        println!("invoices: app label {label} has no invoice number {number}");
    }
    if gaps.is_empty() {
        println!("invoices: every sequence runs without gaps");
    }
    // A job out of attempts waits for someone to look at its last error; nothing retries it.
    let given_up = relais_store::jobs::given_up(db).await?;
    if given_up == 0 {
        println!("jobs: none given up");
    } else {
        println!("jobs: {given_up} given up after their attempts (see their last_error)");
    }
    let counters = counters(db, repair).await?;
    Ok(counters && wallets.is_empty() && money.is_empty() && gaps.is_empty() && given_up == 0)
}

async fn counters(db: &Db, repair: bool) -> anyhow::Result<bool> {
    let mismatches = network_counters::check(db).await?;
    for m in &mismatches {
        println!(
            "network {}: counters say {}; the rows say {}",
            m.network_id,
            show(m.kept),
            show(m.counted)
        );
    }
    if mismatches.is_empty() {
        println!("network counters: all agree with their rows");
        return Ok(true);
    }
    if repair {
        network_counters::repair(db, &mismatches).await?;
        println!("network counters: {} repaired", mismatches.len());
        return Ok(true);
    }
    Ok(false)
}
