//! The shapes the partner API answers with, field for field as the seeds' samples.

use super::PartnerResult;
use chrono::{DateTime, Utc};
use relais_store::Db;
use relais_store::entity::{
    partner_company, partner_contact, partner_manager, partner_trucker, user,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// `created_by` of an address: the company that created it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedBy {
    pub pk: i64,
    pub name: String,
}

/// `created_by_user` of an address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedByUser {
    pub pk: i64,
    pub display_name: String,
    pub company: Option<i64>,
    pub trucker_id: Option<i64>,
}

/// A manager's user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A manager of a company (only account companies have some).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Manager {
    pub pk: i64,
    pub user: ManagerUser,
    pub display_name: String,
    pub role: String,
}

/// The primary address inside a nested company (`pk` is a string there, as in the seeds).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlatAddress {
    pub pk: String,
    pub name: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius: i32,
    pub coords_validated: bool,
    pub is_demo: bool,
    pub is_carrier: bool,
    pub is_shipper: bool,
    pub is_origin: bool,
    pub is_destination: bool,
    /// The pk of the company that created the address.
    pub created_by: i64,
    pub created: DateTime<Utc>,
    pub instructions: String,
    pub remote_id: Option<String>,
}

/// A company nested in an address or a contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NestedCompany {
    pub pk: i64,
    pub remote_id: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub deleted: bool,
    pub invoicing_remote_id: Option<String>,
    pub name: String,
    pub phone_number: String,
    pub email: String,
    pub siren: String,
    pub trade_number: String,
    pub country: String,
    pub comments: String,
    pub vat_number: String,
    pub is_verified: bool,
    pub settings_transport_order_observations: String,
    pub settings_constrain_reference_edition: bool,
    /// `subscribed` for partner account companies, `invited` otherwise.
    pub account_type: String,
    pub logo: Option<String>,
    #[schema(value_type = Object)]
    pub subscription_access: Map<String, Value>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    pub primary_address: FlatAddress,
    pub has_loggable_managers: bool,
    pub managers: Vec<Manager>,
}

/// An address of a company (its primary address; `company` nests the company).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Address {
    pub pk: i64,
    pub name: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius: i32,
    pub coords_validated: bool,
    pub is_demo: bool,
    pub is_carrier: bool,
    pub is_shipper: bool,
    pub is_origin: bool,
    pub is_destination: bool,
    pub created_by: CreatedBy,
    pub created_by_user: Option<CreatedByUser>,
    pub created: DateTime<Utc>,
    pub instructions: String,
    pub remote_id: Option<String>,
    pub company: NestedCompany,
}

/// A contact of the address book.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    #[schema(format = Uuid)]
    pub uid: String,
    pub created: DateTime<Utc>,
    pub company: NestedCompany,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
    pub fax_number: String,
    pub remote_id: Option<String>,
    /// Ignore. Technical data (always false).
    pub is_manager: bool,
    /// Ignore. Technical data (always false).
    pub has_pending_invite: bool,
    /// Ignore. Technical data: whether the contact has an email to be invited at.
    pub is_invitable: bool,
    pub invitation_link: Option<String>,
}

/// A company of the address book.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Company {
    pub pk: i64,
    pub name: String,
    pub phone_number: String,
    pub email: String,
    pub siren: String,
    pub trade_number: String,
    pub vat_number: String,
    pub country: String,
    pub has_loggable_managers: bool,
    pub has_pending_invites: bool,
    pub primary_address: Address,
    pub transports_in_last_month: i64,
    pub is_verified: bool,
    pub can_invite_to: bool,
    pub remote_id: Option<String>,
    pub invoicing_remote_id: Option<String>,
    pub notes: String,
    pub addresses: Vec<Address>,
    pub contacts: Vec<Contact>,
    /// The Dashboard third party this company is linked to (relais extension).
    pub third_party_id: Option<i64>,
}

/// A trucker (seed 000 field names).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trucker {
    pub pk: i64,
    pub phone_number: String,
    /// The pending invite code, only in the answer of the generation; null elsewhere.
    pub invite_code: Option<String>,
    /// When the invite code stops being redeemable (relais extension).
    pub invite_code_expires_at: Option<DateTime<Utc>>,
    /// Ignore. Technical data.
    pub app_version: Option<i64>,
    /// Ignore. Technical data.
    pub readable_app_version: String,
    /// Ignore. Technical data.
    pub platform: String,
    pub remote_id: Option<String>,
    pub is_rented: bool,
    pub phone_number_personal: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country_code: String,
    pub driving_license_number: String,
    pub driving_license_deadline: Option<DateTime<Utc>>,
    pub adr_license_deadline: Option<DateTime<Utc>>,
    pub carrist_license_deadline: Option<DateTime<Utc>>,
    pub occupational_health_visit_deadline: Option<DateTime<Utc>>,
    /// Ignore. Technical data.
    pub new_app_update_available: bool,
    /// Ignore. Technical data.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
    /// The relais user the trucker signs in as, once its invite code is redeemed (relais extension).
    pub user_id: Option<i64>,
}

impl Trucker {
    pub fn new(t: partner_trucker::Model, with_code: bool) -> Self {
        Trucker {
            pk: t.id,
            phone_number: t.phone_number,
            invite_code: if with_code { t.invite_code } else { None },
            invite_code_expires_at: t.invite_code_expires_at,
            app_version: None,
            readable_app_version: String::new(),
            platform: String::new(),
            remote_id: t.remote_id,
            is_rented: t.is_rented,
            phone_number_personal: t.phone_number_personal,
            address: t.address,
            postcode: t.postcode,
            city: t.city,
            country_code: t.country_code,
            driving_license_number: t.driving_license_number,
            driving_license_deadline: t.driving_license_deadline,
            adr_license_deadline: t.adr_license_deadline,
            carrist_license_deadline: t.carrist_license_deadline,
            occupational_health_visit_deadline: t.occupational_health_visit_deadline,
            new_app_update_available: false,
            events: Vec::new(),
            user_id: t.user_id,
        }
    }
}

fn display_name(user: &user::Model) -> String {
    let name = format!(
        "{} {}",
        user.first_name.as_deref().unwrap_or(""),
        user.last_name.as_deref().unwrap_or("")
    );
    let name = name.trim();
    if name.is_empty() {
        user.email.clone()
    } else {
        name.to_owned()
    }
}

fn manager(m: &partner_manager::Model, user: &user::Model) -> Manager {
    Manager {
        pk: m.id,
        user: ManagerUser {
            email: user.email.clone(),
            first_name: user.first_name.clone().unwrap_or_default(),
            last_name: user.last_name.clone().unwrap_or_default(),
        },
        display_name: display_name(user),
        role: m.role.clone(),
    }
}

/// The creator company of `c`: the book it belongs to, or itself for an account company.
fn creator(c: &partner_company::Model) -> i64 {
    c.book_company_id.unwrap_or(c.id)
}

/// Everything the views need about one company, loaded once.
pub struct Loaded {
    pub company: partner_company::Model,
    pub creator: partner_company::Model,
    pub managers: Vec<Manager>,
    pub created_by_user: Option<CreatedByUser>,
}

pub async fn load(db: &Db, company: partner_company::Model) -> PartnerResult<Loaded> {
    Ok(load_many(db, vec![company]).await?.remove(0))
}

/// [`Loaded`] for each of `companies`, in order: creators, managers and users in one query
/// each, whatever the number of companies.
pub async fn load_many(
    db: &Db,
    companies: Vec<partner_company::Model>,
) -> PartnerResult<Vec<Loaded>> {
    use relais_store::partner as store;
    use std::collections::HashMap;
    let creators: HashMap<i64, partner_company::Model> = store::companies_by_id(
        db,
        companies
            .iter()
            .map(creator)
            .filter(|id| !companies.iter().any(|c| c.id == *id))
            .collect(),
    )
    .await?
    .into_iter()
    .chain(companies.iter().cloned())
    .map(|c| (c.id, c))
    .collect();
    let mut managers: HashMap<i64, Vec<Manager>> = HashMap::new();
    for (m, u) in store::managers(db, companies.iter().map(|c| c.id).collect()).await? {
        managers
            .entry(m.company_id)
            .or_default()
            .push(manager(&m, &u));
    }
    let users: HashMap<i64, user::Model> = store::users(
        db,
        companies
            .iter()
            .filter_map(|c| c.created_by_user_id)
            .collect(),
    )
    .await?
    .into_iter()
    .map(|u| (u.id, u))
    .collect();
    Ok(companies
        .into_iter()
        .map(|company| {
            let creator_id = creator(&company);
            Loaded {
                creator: creators
                    .get(&creator_id)
                    .cloned()
                    .unwrap_or_else(|| company.clone()),
                managers: managers.remove(&company.id).unwrap_or_default(),
                created_by_user: company
                    .created_by_user_id
                    .and_then(|id| users.get(&id))
                    .map(|u| CreatedByUser {
                        pk: u.id,
                        display_name: display_name(u),
                        company: Some(creator_id),
                        trucker_id: None,
                    }),
                company,
            }
        })
        .collect())
}

impl Loaded {
    pub fn nested(&self) -> NestedCompany {
        let c = &self.company;
        NestedCompany {
            pk: c.id,
            remote_id: c.remote_id.clone(),
            created: c.created_at,
            updated: c.updated_at,
            deleted: false,
            invoicing_remote_id: c.invoicing_remote_id.clone(),
            name: c.name.clone(),
            phone_number: c.phone_number.clone(),
            email: c.email.clone(),
            siren: c.siren.clone(),
            trade_number: c.trade_number.clone(),
            country: c.country.clone(),
            comments: c.notes.clone(),
            vat_number: c.vat_number.clone(),
            is_verified: c.account,
            settings_transport_order_observations: String::new(),
            settings_constrain_reference_edition: false,
            account_type: if c.account { "subscribed" } else { "invited" }.into(),
            logo: None,
            subscription_access: Map::new(),
            settings: Map::new(),
            primary_address: FlatAddress {
                pk: c.id.to_string(),
                name: c.address_name.clone(),
                address: c.address.clone(),
                city: c.city.clone(),
                postcode: c.postcode.clone(),
                country: c.address_country.clone(),
                latitude: c.latitude,
                longitude: c.longitude,
                radius: c.radius,
                coords_validated: c.coords_validated,
                is_demo: false,
                is_carrier: true,
                is_shipper: true,
                is_origin: true,
                is_destination: true,
                created_by: creator(c),
                created: c.created_at,
                instructions: c.instructions.clone(),
                remote_id: c.address_remote_id.clone(),
            },
            has_loggable_managers: !self.managers.is_empty(),
            managers: self.managers.clone(),
        }
    }

    pub fn address(&self) -> Address {
        let c = &self.company;
        Address {
            pk: c.id,
            name: c.address_name.clone(),
            address: c.address.clone(),
            city: c.city.clone(),
            postcode: c.postcode.clone(),
            country: c.address_country.clone(),
            latitude: c.latitude,
            longitude: c.longitude,
            radius: c.radius,
            coords_validated: c.coords_validated,
            is_demo: false,
            is_carrier: true,
            is_shipper: true,
            is_origin: true,
            is_destination: true,
            created_by: CreatedBy {
                pk: self.creator.id,
                name: self.creator.name.clone(),
            },
            created_by_user: self.created_by_user.clone(),
            created: c.created_at,
            instructions: c.instructions.clone(),
            remote_id: c.address_remote_id.clone(),
            company: self.nested(),
        }
    }

    pub fn contact(&self, contact: partner_contact::Model) -> Contact {
        Contact {
            uid: contact.uid,
            created: contact.created_at,
            company: self.nested(),
            is_invitable: !contact.email.is_empty(),
            first_name: contact.first_name,
            last_name: contact.last_name,
            email: contact.email,
            phone_number: contact.phone_number,
            fax_number: contact.fax_number,
            remote_id: contact.remote_id,
            is_manager: false,
            has_pending_invite: false,
            invitation_link: None,
        }
    }
}

/// The full view of a company of `book`'s address book, with the contacts of that book.
pub async fn company(
    db: &Db,
    book: i64,
    company: partner_company::Model,
) -> PartnerResult<Company> {
    Ok(companies(db, book, vec![company]).await?.remove(0))
}

/// The full views of `companies` of `book`'s address book, in a fixed number of queries.
pub async fn companies(
    db: &Db,
    book: i64,
    companies: Vec<partner_company::Model>,
) -> PartnerResult<Vec<Company>> {
    let mut contacts: std::collections::HashMap<i64, Vec<partner_contact::Model>> =
        std::collections::HashMap::new();
    for k in relais_store::partner::contacts_of(db, book, companies.iter().map(|c| c.id).collect())
        .await?
    {
        contacts.entry(k.company_id).or_default().push(k);
    }
    Ok(load_many(db, companies)
        .await?
        .into_iter()
        .map(|loaded| {
            let c = &loaded.company;
            let address = loaded.address();
            Company {
                pk: c.id,
                name: c.name.clone(),
                phone_number: c.phone_number.clone(),
                email: c.email.clone(),
                siren: c.siren.clone(),
                trade_number: c.trade_number.clone(),
                vat_number: c.vat_number.clone(),
                country: c.country.clone(),
                has_loggable_managers: !loaded.managers.is_empty(),
                has_pending_invites: false,
                primary_address: address.clone(),
                transports_in_last_month: 0,
                is_verified: c.account,
                can_invite_to: !c.account && !c.email.is_empty(),
                remote_id: c.remote_id.clone(),
                invoicing_remote_id: c.invoicing_remote_id.clone(),
                notes: c.notes.clone(),
                addresses: vec![address],
                contacts: contacts
                    .remove(&c.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|k| loaded.contact(k))
                    .collect(),
                third_party_id: c.third_party_id,
            }
        })
        .collect())
}

/// The view of a contact.
pub async fn contact(db: &Db, contact: partner_contact::Model) -> PartnerResult<Contact> {
    contacts(db, vec![contact])
        .await?
        .pop()
        .ok_or_else(super::PartnerError::not_found)
}

/// The views of `contacts`, their companies loaded once each; a contact whose company is
/// gone is left out.
pub async fn contacts(
    db: &Db,
    contacts: Vec<partner_contact::Model>,
) -> PartnerResult<Vec<Contact>> {
    let companies =
        relais_store::partner::companies_by_id(db, contacts.iter().map(|k| k.company_id).collect())
            .await?;
    let loaded: std::collections::HashMap<i64, Loaded> = load_many(db, companies)
        .await?
        .into_iter()
        .map(|l| (l.company.id, l))
        .collect();
    Ok(contacts
        .into_iter()
        .filter_map(|k| loaded.get(&k.company_id).map(|l| l.contact(k)))
        .collect())
}
