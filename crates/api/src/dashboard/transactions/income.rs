//! The income statistics: "Get income summary", "Get income sources", "Get income
//! distribution by dow", "Get income details by day".
//!
//! Decisions: income is money received through payment providers (succeeded provider
//! transactions), less their refunds at the refund's date; wallet payments are not income (the
//! top-up that filled the wallet was). Days are local days of `timezone`, both bounds included
//! (a period of one day is allowed: `end_date` before `start_date` is refused naming it), at
//! most 366 days. Amounts are converted per local day at the ECB reference rate of that day
//! (the latest published on or before it), rounded per day and summed; an amount in a
//! currency without a rate for a day is left out of the totals and listed in `unconverted`
//! in its own currency. `networks` is a relais extension: absent, every network the caller's
//! `transactions` permission reaches as a whole. `provider` also takes `sandbox`. The figures
//! are read from the income rollups (per network and quarter-hour in UTC, exact in every time
//! zone), never from the transactions.

use crate::access::{Authorized, read};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidQuery, unique_id_list};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{Datelike, Days, NaiveDate, TimeZone as _};
use relais_domain::Permission;
use relais_domain::money;
use relais_domain::reference::{CurrencyCode, TimeZone};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

/// The longest period, in days.
const MAX_DAYS: i64 = 366;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_income_summary))
        .routes(routes!(get_income_sources))
        .routes(routes!(get_income_distribution_by_dow))
        .routes(routes!(get_income_details_by_day))
}

/// A payment provider.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncomeProvider {
    Stripe,
    Uzcard,
    Braintree,
    Hdcpay,
    /// relais's local sandbox (an extension value).
    Sandbox,
}

impl IncomeProvider {
    fn key(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Uzcard => "uzcard",
            Self::Braintree => "braintree",
            Self::Hdcpay => "hdcpay",
            Self::Sandbox => "sandbox",
        }
    }
}

/// The period, currency and time zone of an income statistic.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncomeQuery {
    /// The start date of the period (a local day of `timezone`).
    pub start_date: NaiveDate,
    /// The end date of the period, included; not before `start_date`, at most 366 days.
    pub end_date: NaiveDate,
    /// The currency in which to convert the amounts.
    #[param(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
    /// The timezone of the user making the request: days are its days.
    #[param(value_type = String, example = "Europe/Paris")]
    pub timezone: TimeZone,
    /// The payment provider to count alone; all when absent.
    #[serde(default)]
    #[param(inline, value_type = Option<IncomeProvider>)]
    pub provider: Option<IncomeProvider>,
    /// The networks to count (a relais extension), comma-separated; absent: every network
    /// reached as a whole.
    #[serde(default)]
    #[param(value_type = Option<Vec<i64>>, style = Form, explode = false, example = "1,5")]
    #[validate(custom(function = "unique_id_list"))]
    pub networks: Option<CommaSeparated<i64>>,
}

/// Money of one local day and one currency, in that currency.
#[derive(Debug, Clone, Default)]
struct Sums {
    count: i64,
    gross_w_vat: Decimal,
    gross: Decimal,
    fee: Decimal,
    refund_count: i64,
    refunds_w_vat: Decimal,
    refunds: Decimal,
}

impl Sums {
    fn add(&mut self, r: &relais_store::entity::income_rollup::Model) {
        self.count += r.count;
        self.gross_w_vat += money::from_stored(r.amount_w_vat);
        self.gross += money::from_stored(r.amount);
        self.fee += money::from_stored(r.fee);
        self.refund_count += r.refund_count;
        self.refunds_w_vat += money::from_stored(r.refund_w_vat);
        self.refunds += money::from_stored(r.refund_amount);
    }

    fn plus(&mut self, o: &Sums) {
        self.count += o.count;
        self.gross_w_vat += o.gross_w_vat;
        self.gross += o.gross;
        self.fee += o.fee;
        self.refund_count += o.refund_count;
        self.refunds_w_vat += o.refunds_w_vat;
        self.refunds += o.refunds;
    }

    fn income_w_vat(&self) -> Decimal {
        self.gross_w_vat - self.refunds_w_vat
    }

    fn income(&self) -> Decimal {
        self.gross - self.refunds
    }
}

/// What the rollups of the period hold, converted: by local day, then by provider and kind.
struct Period {
    days: Vec<NaiveDate>,
    /// `(day, provider, kind)` → converted sums.
    cells: BTreeMap<(NaiveDate, String, String), Sums>,
    /// Currency → income with VAT left unconverted (no rate).
    unconverted: BTreeMap<String, Decimal>,
    first_rate: Option<NaiveDate>,
    last_rate: Option<NaiveDate>,
}

impl Period {
    fn total(&self) -> Sums {
        let mut all = Sums::default();
        for s in self.cells.values() {
            all.plus(s);
        }
        all
    }
}

/// Read and convert the period's rollups.
async fn period(state: &AppState, auth: &Authorized, q: &IncomeQuery) -> ApiResult<Period> {
    let days = (q.end_date - q.start_date).num_days();
    if days < 0 {
        return Err(ApiError::field("end_date", "must not be before start_date"));
    }
    if days + 1 > MAX_DAYS {
        return Err(ApiError::field(
            "end_date",
            format!("the period may cover at most {MAX_DAYS} days"),
        ));
    }
    let networks: Vec<i64> = match &q.networks {
        Some(asked) => asked.0.clone(),
        None => match auth.scope.whole_networks() {
            Some(reached) => reached.into_iter().collect(),
            None => relais_store::networks::all_ids(&state.db).await?,
        },
    };
    let tz = q.timezone.tz();
    let local_midnight = |day: NaiveDate| {
        let naive = day.and_hms_opt(0, 0, 0).expect("midnight");
        // A day that starts in a gap of the zone starts at its first instant.
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.to_utc())
    };
    let after = q
        .end_date
        .checked_add_days(Days::new(1))
        .unwrap_or(q.end_date);
    let (Some(from), Some(to)) = (local_midnight(q.start_date), local_midnight(after)) else {
        return Err(ApiError::field("start_date", "outside the calendar"));
    };
    let rows = relais_store::income::rollups(
        &state.db,
        &networks,
        from,
        to,
        q.provider.map(IncomeProvider::key),
    )
    .await?;
    let mut raw: BTreeMap<(NaiveDate, String, String, String), Sums> = BTreeMap::new();
    for r in &rows {
        let day = r.bucket.with_timezone(&tz).date_naive();
        raw.entry((day, r.provider.clone(), r.kind.clone(), r.currency.clone()))
            .or_default()
            .add(r);
    }
    let rates = state.rates.current();
    let target = q.currency.code();
    let mut out = Period {
        days: (0..=days)
            .filter_map(|d| q.start_date.checked_add_days(Days::new(d as u64)))
            .collect(),
        cells: BTreeMap::new(),
        unconverted: BTreeMap::new(),
        first_rate: None,
        last_rate: None,
    };
    for ((day, provider, kind, currency), sums) in raw {
        let convert = |amount: Decimal| rates.convert(amount, &currency, target, day);
        let Ok(probe) = convert(sums.gross_w_vat) else {
            *out.unconverted.entry(currency.clone()).or_default() += sums.income_w_vat();
            continue;
        };
        let value = |amount: Decimal| convert(amount).map(|c| c.amount).unwrap_or_default();
        out.first_rate = Some(
            out.first_rate
                .map_or(probe.rate_date, |d| d.min(probe.rate_date)),
        );
        out.last_rate = Some(
            out.last_rate
                .map_or(probe.rate_date, |d| d.max(probe.rate_date)),
        );
        let converted = Sums {
            count: sums.count,
            gross_w_vat: probe.amount,
            gross: value(sums.gross),
            fee: value(sums.fee),
            refund_count: sums.refund_count,
            refunds_w_vat: value(sums.refunds_w_vat),
            refunds: value(sums.refunds),
        };
        out.cells
            .entry((day, provider, kind))
            .or_default()
            .plus(&converted);
    }
    Ok(out)
}

fn text(amount: Decimal, currency: CurrencyCode) -> String {
    let minor = currency.minor_units().unwrap_or(2) as u32;
    let mut rounded =
        amount.round_dp_with_strategy(minor, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(minor);
    rounded.to_string()
}

/// An amount left in its own currency, having no rate for its day.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unconverted {
    pub currency: String,
    #[schema(value_type = String, example = "12.00")]
    pub income_w_vat: String,
}

/// The ECB days the amounts were converted at.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateDates {
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

/// The income of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeSummary {
    #[schema(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
    #[schema(value_type = String, example = "Europe/Paris")]
    pub timezone: TimeZone,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The provider counted alone, if one was asked for.
    pub provider: Option<String>,
    /// Taken, VAT included (decimal strings in `currency`).
    #[schema(value_type = String, example = "120.00")]
    pub gross_w_vat: String,
    /// Given back, VAT included.
    #[schema(value_type = String, example = "5.00")]
    pub refunds_w_vat: String,
    /// Taken less given back, VAT included.
    #[schema(value_type = String, example = "115.00")]
    pub income_w_vat: String,
    /// The same without VAT.
    #[schema(value_type = String, example = "95.83")]
    pub income: String,
    #[schema(value_type = String, example = "19.17")]
    pub vat: String,
    #[schema(value_type = String, example = "1.80")]
    pub provider_fees: String,
    /// Income without VAT less the providers' fees.
    #[schema(value_type = String, example = "94.03")]
    pub net_after_fees: String,
    pub transaction_count: i64,
    pub refund_count: i64,
    /// Gross with VAT per transaction.
    #[schema(value_type = String, example = "2.40")]
    pub average_w_vat: String,
    pub rate_dates: RateDates,
    pub unconverted: Vec<Unconverted>,
}

fn unconverted(p: &Period) -> Vec<Unconverted> {
    p.unconverted
        .iter()
        .map(|(currency, amount)| Unconverted {
            currency: currency.clone(),
            income_w_vat: amount.to_string(),
        })
        .collect()
}

/// Get income summary
#[utoipa::path(get, path = "/dashboard/transactions/income/summary", tag = "Transactions",
    summary = "Get income summary",
    description = "Return income summary of the requested period, in the requested currency.\n\nIncome is what payment providers took (VAT included and without), less their refunds dated in the period, and the providers' fees; wallet payments are not income (the top-up was). Days are local days of `timezone`, `start_date` and `end_date` included (at most 366 days); amounts are converted per day at the ECB reference rate of that day, and listed in `unconverted` in their own currency where no rate exists. `networks` (an extension) narrows to some networks; absent, every network reached as a whole. Needs `transactions`.",
    params(IncomeQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "The summary", body = Envelope<IncomeSummary>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid period (-11)", body = ErrorBody)))]
pub async fn get_income_summary(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<IncomeQuery>,
) -> ApiResult<Json<Envelope<IncomeSummary>>> {
    let p = period(&state, &auth, &q).await?;
    let t = p.total();
    let c = q.currency;
    let income_w_vat = t.income_w_vat();
    let income = t.income();
    Ok(ok(IncomeSummary {
        currency: c,
        timezone: q.timezone,
        start_date: q.start_date,
        end_date: q.end_date,
        provider: q.provider.map(|p| p.key().to_owned()),
        gross_w_vat: text(t.gross_w_vat, c),
        refunds_w_vat: text(t.refunds_w_vat, c),
        income_w_vat: text(income_w_vat, c),
        income: text(income, c),
        vat: text(income_w_vat - income, c),
        provider_fees: text(t.fee, c),
        net_after_fees: text(income - t.fee, c),
        transaction_count: t.count,
        refund_count: t.refund_count,
        average_w_vat: text(
            if t.count > 0 {
                t.gross_w_vat / Decimal::from(t.count)
            } else {
                Decimal::ZERO
            },
            c,
        ),
        rate_dates: RateDates {
            first: p.first_rate,
            last: p.last_rate,
        },
        unconverted: unconverted(&p),
    }))
}

/// What one kind of purchase brought in.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeSource {
    /// `trip`, `top_up`, `debt` or `penalty`.
    pub source: String,
    #[schema(value_type = String, example = "80.00")]
    pub income_w_vat: String,
    #[schema(value_type = String, example = "66.67")]
    pub income: String,
    pub count: i64,
    /// Percent of the income with VAT, two decimals.
    #[schema(value_type = String, example = "69.57")]
    pub share: String,
}

/// Get income sources
#[utoipa::path(get, path = "/dashboard/transactions/income/sources", tag = "Transactions",
    summary = "Get income sources",
    description = "Return income sources of the requested period, in the requested currency.\n\nThe income (as in \"Get income summary\") by what was bought: `trip`, `top_up`, `debt` (debts paid) and `penalty`, each with its share of the whole in percent; every source is listed, zeros included.",
    params(IncomeQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "The sources", body = Envelope<Vec<IncomeSource>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid period (-11)", body = ErrorBody)))]
pub async fn get_income_sources(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<IncomeQuery>,
) -> ApiResult<Json<Envelope<Vec<IncomeSource>>>> {
    let p = period(&state, &auth, &q).await?;
    let whole = p.total().income_w_vat();
    let mut by_kind: BTreeMap<&str, Sums> = ["trip", "top_up", "debt", "penalty"]
        .into_iter()
        .map(|k| (k, Sums::default()))
        .collect();
    for ((_, _, kind), sums) in &p.cells {
        if let Some(s) = by_kind.get_mut(kind.as_str()) {
            s.plus(sums);
        }
    }
    let c = q.currency;
    Ok(ok(["trip", "top_up", "debt", "penalty"]
        .into_iter()
        .map(|kind| {
            let s = &by_kind[kind];
            let share = if whole.is_zero() {
                Decimal::ZERO
            } else {
                s.income_w_vat() * Decimal::ONE_HUNDRED / whole
            };
            IncomeSource {
                source: kind.to_owned(),
                income_w_vat: text(s.income_w_vat(), c),
                income: text(s.income(), c),
                count: s.count,
                share: {
                    let mut v = share.round_dp(2);
                    v.rescale(2);
                    v.to_string()
                },
            }
        })
        .collect()))
}

/// The income of one day of the week.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeByDow {
    /// 0 for Sunday to 6 for Saturday, as pricing rules count them.
    pub dow: u8,
    #[schema(value_type = String, example = "15.00")]
    pub income_w_vat: String,
    #[schema(value_type = String, example = "12.50")]
    pub income: String,
    pub count: i64,
}

/// Get income distribution by dow
#[utoipa::path(get, path = "/dashboard/transactions/income/by-dow", tag = "Transactions",
    summary = "Get income distribution by dow",
    description = "Return income distribution by day of the week of the requested period, in the requested currency.\n\nSeven entries, Sunday (0) to Saturday (6), of the local days of `timezone`, zeros included.",
    params(IncomeQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "The days of the week", body = Envelope<Vec<IncomeByDow>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid period (-11)", body = ErrorBody)))]
pub async fn get_income_distribution_by_dow(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<IncomeQuery>,
) -> ApiResult<Json<Envelope<Vec<IncomeByDow>>>> {
    let p = period(&state, &auth, &q).await?;
    let mut week: [Sums; 7] = Default::default();
    for ((day, _, _), sums) in &p.cells {
        week[day.weekday().num_days_from_sunday() as usize].plus(sums);
    }
    let c = q.currency;
    Ok(ok(week
        .iter()
        .enumerate()
        .map(|(dow, s)| IncomeByDow {
            dow: dow as u8,
            income_w_vat: text(s.income_w_vat(), c),
            income: text(s.income(), c),
            count: s.count,
        })
        .collect()))
}

/// One provider's part of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeDayProvider {
    pub provider: String,
    #[schema(value_type = String, example = "10.00")]
    pub income_w_vat: String,
    #[schema(value_type = String, example = "8.33")]
    pub income: String,
    #[schema(value_type = String, example = "0.00")]
    pub refunds_w_vat: String,
    pub count: i64,
}

/// The income of one local day.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomeDay {
    pub date: NaiveDate,
    #[schema(value_type = String, example = "10.00")]
    pub income_w_vat: String,
    #[schema(value_type = String, example = "8.33")]
    pub income: String,
    #[schema(value_type = String, example = "0.00")]
    pub refunds_w_vat: String,
    pub count: i64,
    /// By provider, those with money that day.
    pub providers: Vec<IncomeDayProvider>,
}

/// Get income details by day
#[utoipa::path(get, path = "/dashboard/transactions/income/by-day", tag = "Transactions",
    summary = "Get income details by day",
    description = "Return income details by day of the requested period, in the requested currency.\n\nOne entry per local day of `timezone` in the period, in order, zeros included, with each provider's part.",
    params(IncomeQuery),
    extensions(("x-permission" = json!(read(Permission::Transactions).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "The days", body = Envelope<Vec<IncomeDay>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid period (-11)", body = ErrorBody)))]
pub async fn get_income_details_by_day(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<IncomeQuery>,
) -> ApiResult<Json<Envelope<Vec<IncomeDay>>>> {
    let p = period(&state, &auth, &q).await?;
    let c = q.currency;
    let mut by_day: BTreeMap<NaiveDate, BTreeMap<String, Sums>> = BTreeMap::new();
    for ((day, provider, _), sums) in &p.cells {
        by_day
            .entry(*day)
            .or_default()
            .entry(provider.clone())
            .or_default()
            .plus(sums);
    }
    Ok(ok(p
        .days
        .iter()
        .map(|day| {
            let providers = by_day.remove(day).unwrap_or_default();
            let mut all = Sums::default();
            for s in providers.values() {
                all.plus(s);
            }
            IncomeDay {
                date: *day,
                income_w_vat: text(all.income_w_vat(), c),
                income: text(all.income(), c),
                refunds_w_vat: text(all.refunds_w_vat, c),
                count: all.count,
                providers: providers
                    .into_iter()
                    .map(|(provider, s)| IncomeDayProvider {
                        provider,
                        income_w_vat: text(s.income_w_vat(), c),
                        income: text(s.income(), c),
                        refunds_w_vat: text(s.refunds_w_vat, c),
                        count: s.count,
                    })
                    .collect(),
            }
        })
        .collect()))
}
