//! Seed group `Invoices` and "Get transaction invoice": invoices and credit notes issued after
//! the money moved, numbered per billing identity, downloaded as PDF.

use crate::common::TestApp;
use relais_domain::Permission;
use serde_json::{Value, json};
use std::time::Duration;

/// The transaction's invoice once the job has issued and rendered it.
async fn invoice_of(app: &TestApp, token: &str, transaction: i64) -> Value {
    for _ in 0..100 {
        let reply = app
            .get(&format!("/dashboard/transactions/{transaction}/invoice"))
            .token(token)
            .send()
            .await;
        if reply.status.as_u16() == 200 {
            let invoice = reply.ok().clone();
            let pdf = app
                .get(invoice["pdf"].as_str().unwrap())
                .token(token)
                .send()
                .await;
            if pdf.status.as_u16() == 200 {
                return invoice;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("transaction {transaction} was never invoiced");
}

#[tokio::test]
async fn payments_are_invoiced_without_gaps_and_refunds_get_credit_notes() {
    let app = TestApp::new().await;
    let w = app.world().await;
    // The world's payment was invoiced first: number 1 of its billing identity.
    let first = invoice_of(&app, &w.admin, w.transaction_n1).await;
    assert_eq!(first["ref"], w.invoice_n1);
    assert_eq!(first["number"], 1);
    assert_eq!(first["kind"], "invoice");
    assert_eq!(first["amount_w_vat"], "2.40");
    assert_eq!(first["amount"], "2.00");
    assert_eq!(first["vat_amount"], "0.40");
    assert_eq!(first["vat_rate"], "0.2");
    // The next payments follow, one number each, by the job that issues them.
    let second = app
        .card_payment(w.user_n1, w.n1, None, "5.00", "5.00")
        .await;
    let third = app
        .card_payment(w.user_n1, w.n1, None, "1.00", "1.00")
        .await;
    let (b, c) = (
        invoice_of(&app, &w.admin, second).await,
        invoice_of(&app, &w.admin, third).await,
    );
    let mut numbers = vec![b["number"].as_i64().unwrap(), c["number"].as_i64().unwrap()];
    numbers.sort_unstable();
    assert_eq!(numbers, vec![2, 3]);
    // The PDF, as a download named after its reference.
    let pdf = app
        .get(b["pdf"].as_str().unwrap())
        .token(&w.admin)
        .send()
        .await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(
        pdf.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(b["ref"].as_str().unwrap())
    );
    assert!(pdf.text.starts_with("%PDF-"));
    // A refund gets a credit note, numbered in the same sequence, correcting the invoice.
    app.post(&format!("/dashboard/transactions/{second}/refunds"))
        .token(&w.admin)
        .json(json!({"reason": "The saddle was broken", "amount": "2.00"}))
        .send()
        .await
        .ok();
    let mut notes = Value::Null;
    for _ in 0..100 {
        let inv = invoice_of(&app, &w.admin, second).await;
        if !inv["credit_notes"].as_array().unwrap().is_empty() {
            notes = inv["credit_notes"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(notes[0]["amount_w_vat"], "2.00");
    // Listed, newest first: the credit note, then the invoices.
    let listed = app
        .get("/dashboard/invoices?page=1")
        .token(&w.admin)
        .send()
        .await;
    let items = listed.body["data"].as_array().unwrap().clone();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["kind"], "credit_note");
    assert_eq!(items[0]["number"], 4);
    assert_eq!(items[0]["corrects"], b["ref"]);
    assert_eq!(listed.body["page"]["has_more"], false);
    assert!(
        relais_store::invoices::gaps(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    // The rider downloads theirs; another rider cannot.
    let (_, rider) = (w.user_n1, app.token_for(w.user_n1).await);
    let mine = app
        .get(&format!("/rider/me/invoices/{}/pdf", w.invoice_n1))
        .token(&rider)
        .send()
        .await;
    assert_eq!(mine.status.as_u16(), 200);
    let (_, other) = app.rider("other@relais.test", &[w.n1]).await;
    app.get(&format!("/rider/me/invoices/{}/pdf", w.invoice_n1))
        .token(&other)
        .send()
        .await
        .fails(404, -2);
}

#[tokio::test]
async fn invoices_are_refused_out_of_scope_and_unknown_references_named() {
    let app = TestApp::new().await;
    let w = app.world().await;
    app.get("/dashboard/invoices/NOPE-000000001/pdf")
        .token(&w.admin)
        .send()
        .await
        .fails(404, -2)
        .names("ref");
    let unit = app.unit_with("Cluster A", &[w.n1], &[w.cluster_a]).await;
    let (_, cluster) = app
        .staff(
            "cluster@relais.test",
            &[(Permission::Transactions, Some(unit), false)],
        )
        .await;
    app.get(&format!("/dashboard/invoices/{}/pdf", w.invoice_n1))
        .token(&cluster)
        .send()
        .await
        .fails(403, -31)
        .names("ref");
    // A unit restricted to clusters lists none.
    let listed = app
        .get("/dashboard/invoices?page=1")
        .token(&cluster)
        .send()
        .await;
    assert_eq!(listed.body["data"], json!([]));
    for bad in ["page=0", "page=501"] {
        app.get(&format!("/dashboard/invoices?{bad}"))
            .token(&w.admin)
            .send()
            .await
            .fails(422, -11)
            .names("page");
    }
    app.get("/dashboard/invoices")
        .token(&w.admin)
        .send()
        .await
        .fails(400, -10);
}
