//! The partner address book (seeds 000, 001, 002): partner companies (requesters' own account
//! companies and the companies of their address books), their managers, the contacts of each
//! address book, and the truckers of a company with their single-use invite codes.

use super::fk;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ThirdParties {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PartnerCompanies {
    Table,
    Id,
    Account,
    BookCompanyId,
    CreatedByUserId,
    ThirdPartyId,
    RemoteId,
    InvoicingRemoteId,
    Name,
    Email,
    PhoneNumber,
    Siren,
    TradeNumber,
    VatNumber,
    Country,
    Notes,
    AddressName,
    Address,
    City,
    Postcode,
    AddressCountry,
    Latitude,
    Longitude,
    Radius,
    CoordsValidated,
    Instructions,
    AddressRemoteId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PartnerManagers {
    Table,
    Id,
    CompanyId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PartnerContacts {
    Table,
    Id,
    Uid,
    BookCompanyId,
    CompanyId,
    FirstName,
    LastName,
    Email,
    PhoneNumber,
    FaxNumber,
    RemoteId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PartnerTruckers {
    Table,
    Id,
    CompanyId,
    UserId,
    RemoteId,
    PhoneNumber,
    IsRented,
    PhoneNumberPersonal,
    Address,
    Postcode,
    City,
    CountryCode,
    DrivingLicenseNumber,
    DrivingLicenseDeadline,
    AdrLicenseDeadline,
    CarristLicenseDeadline,
    OccupationalHealthVisitDeadline,
    InviteCode,
    InviteCodeExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        use PartnerCompanies as C;

        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(big_pk_auto(C::Id))
                    .col(boolean(C::Account).default(false))
                    .col(big_integer_null(C::BookCompanyId))
                    .col(big_integer_null(C::CreatedByUserId))
                    .col(big_integer_null(C::ThirdPartyId))
                    .col(string_len_null(C::RemoteId, 255))
                    .col(string_len_null(C::InvoicingRemoteId, 255))
                    .col(string_len(C::Name, 255))
                    .col(string_len(C::Email, 255))
                    .col(string_len(C::PhoneNumber, 40))
                    .col(string_len(C::Siren, 40))
                    .col(string_len(C::TradeNumber, 40))
                    .col(string_len(C::VatNumber, 40))
                    .col(string_len(C::Country, 2))
                    .col(text(C::Notes))
                    .col(string_len(C::AddressName, 255))
                    .col(string_len(C::Address, 255))
                    .col(string_len(C::City, 100))
                    .col(string_len(C::Postcode, 20))
                    .col(string_len(C::AddressCountry, 2))
                    .col(double_null(C::Latitude))
                    .col(double_null(C::Longitude))
                    .col(integer(C::Radius))
                    .col(boolean(C::CoordsValidated))
                    .col(text(C::Instructions))
                    .col(string_len_null(C::AddressRemoteId, 255))
                    .col(timestamp_with_time_zone(C::CreatedAt))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .foreign_key(&mut fk(
                        (C::Table, C::BookCompanyId),
                        (C::Table, C::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (C::Table, C::CreatedByUserId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        (C::Table, C::ThirdPartyId),
                        (ThirdParties::Table, ThirdParties::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("partner_companies_book_remote_id")
                    .table(C::Table)
                    .col(C::BookCompanyId)
                    .col(C::RemoteId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PartnerManagers::Table)
                    .col(big_pk_auto(PartnerManagers::Id))
                    .col(big_integer(PartnerManagers::CompanyId))
                    .col(big_integer_uniq(PartnerManagers::UserId))
                    .col(string_len(PartnerManagers::Role, 20))
                    .col(timestamp_with_time_zone(PartnerManagers::CreatedAt))
                    .foreign_key(&mut fk(
                        (PartnerManagers::Table, PartnerManagers::CompanyId),
                        (C::Table, C::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (PartnerManagers::Table, PartnerManagers::UserId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PartnerContacts::Table)
                    .col(big_pk_auto(PartnerContacts::Id))
                    .col(string_len_uniq(PartnerContacts::Uid, 36))
                    .col(big_integer(PartnerContacts::BookCompanyId))
                    .col(big_integer(PartnerContacts::CompanyId))
                    .col(string_len(PartnerContacts::FirstName, 150))
                    .col(string_len(PartnerContacts::LastName, 150))
                    .col(string_len(PartnerContacts::Email, 255))
                    .col(string_len(PartnerContacts::PhoneNumber, 40))
                    .col(string_len(PartnerContacts::FaxNumber, 40))
                    .col(string_len_null(PartnerContacts::RemoteId, 255))
                    .col(timestamp_with_time_zone(PartnerContacts::CreatedAt))
                    .foreign_key(&mut fk(
                        (PartnerContacts::Table, PartnerContacts::BookCompanyId),
                        (C::Table, C::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (PartnerContacts::Table, PartnerContacts::CompanyId),
                        (C::Table, C::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("partner_contacts_book_remote_id")
                    .table(PartnerContacts::Table)
                    .col(PartnerContacts::BookCompanyId)
                    .col(PartnerContacts::RemoteId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        use PartnerTruckers as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(big_integer(T::CompanyId))
                    .col(big_integer_null(T::UserId))
                    .col(string_len_null(T::RemoteId, 255))
                    .col(string_len(T::PhoneNumber, 40))
                    .col(boolean(T::IsRented))
                    .col(string_len(T::PhoneNumberPersonal, 40))
                    .col(string_len(T::Address, 255))
                    .col(string_len(T::Postcode, 20))
                    .col(string_len(T::City, 100))
                    .col(string_len(T::CountryCode, 2))
                    .col(string_len(T::DrivingLicenseNumber, 40))
                    .col(timestamp_with_time_zone_null(T::DrivingLicenseDeadline))
                    .col(timestamp_with_time_zone_null(T::AdrLicenseDeadline))
                    .col(timestamp_with_time_zone_null(T::CarristLicenseDeadline))
                    .col(timestamp_with_time_zone_null(
                        T::OccupationalHealthVisitDeadline,
                    ))
                    .col(string_len_null(T::InviteCode, 64).unique_key())
                    .col(timestamp_with_time_zone_null(T::InviteCodeExpiresAt))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .foreign_key(&mut fk(
                        (T::Table, T::CompanyId),
                        (C::Table, C::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (T::Table, T::UserId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("partner_truckers_company_remote_id")
                    .table(T::Table)
                    .col(T::CompanyId)
                    .col(T::RemoteId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
