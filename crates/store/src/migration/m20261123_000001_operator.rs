//! The operator's configuration: reference catalogues (vehicle models, payment methods), app
//! labels, third parties, networks with their settings, pricing, geofencing, the first columns
//! of clusters, stations, vehicles and trips, and the durable outbox of commands for vehicles.
//!
//! Amounts of money and rates are stored as integers in ten-thousandths (`12.5` is `125000`):
//! exact and summable on both backends, where SQLite would keep a decimal as a float.
//! Times of day are stored as seconds since midnight; shapes as JSON text.

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
enum VehicleModels {
    Table,
    Id,
    Name,
    Kind,
    Manufacturer,
}

#[derive(DeriveIden)]
enum PaymentMethods {
    Table,
    Id,
    Key,
    Provider,
    Kind,
    Name,
}

#[derive(DeriveIden)]
enum AppLabels {
    Table,
    Id,
    Name,
    DisplayName,
    RequireSmsValidation,
    PhoneSmsProviderId,
    RequireTermsOfUse,
    AutoDeleteUsers,
    AndroidStoreUrl,
    IosStoreUrl,
    SavedPaymentMethodIsOptional,
    Website,
    ContactEmail,
    ContactPhoneNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppLabelBilling {
    Table,
    AppLabelId,
    Name,
    LegalForm,
    VatNumber,
    RegistrationNumber,
    Capital,
    Street,
    ZipCode,
    City,
    Country,
    Issuer,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppLabelMailSettings {
    Table,
    AppLabelId,
    SendMails,
    SenderAddress,
    SenderName,
    ReplyTo,
    NotificationEmail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppLabelPaymentMethods {
    Table,
    AppLabelId,
    MethodId,
    EnabledAt,
}

#[derive(DeriveIden)]
enum ThirdParties {
    Table,
    Id,
    Name,
    Address,
    Zipcode,
    City,
    CountryId,
    ErpId,
    Email,
    Phone,
    VatNumber,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Networks {
    Table,
    Id,
    Name,
    DefaultVat,
    CountryId,
    Currency,
    DefaultVehicleGuarantee,
    TripToSkipPreAuthGuarantee,
    Timezone,
    ThirdPartyId,
    AppLabelId,
    TenantCode,
    CreatedBy,
    CreatedAt,
    ClosedAt,
    SponsoringReward,
    SponsoredReward,
    FirstPurchaseRequired,
    MinBatteryToRent,
    MaxSimultaneousRentedVehicle,
    TripOnHold,
    CreditDepletionAutoLock,
    MinBatteryToAutoLock,
    TripTooLongNotifications,
    TripTooLongNotificationsFrequency,
    VehicleStolen,
    TripAutoPause,
    TripMaxPause,
    TripAutoLock,
    FreefloatToStationDiscountPerKm,
    FreefloatToStationFreeCredits,
    FreefloatToReceiverStationFreeCredits,
    FreefloatToStationMinBattery,
    DefaultLowSpeed,
    DefaultMediumSpeed,
    DefaultHighSpeed,
    MinBatteryToSlowDown,
    BatterySlowDownSpeed,
    BorderShape,
    BorderTriggerAlert,
    BorderNotifyUser,
    BorderReduceVehicleSpeed,
    BorderPlayVehicleSound,
    BorderLockVehicle,
}

#[derive(DeriveIden)]
enum NetworkAccessRules {
    Table,
    Id,
    NetworkId,
    EmailPattern,
    OrganizationId,
    AppLabelId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NetworkVehicleModels {
    Table,
    NetworkId,
    ModelId,
    AutoLight,
    SpeedMode,
    Guarantee,
    PreAuth,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutOfOrders {
    Table,
    Id,
    NetworkId,
    Kind,
    Reason,
    StartDate,
    EndDate,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationSettings {
    Table,
    Id,
    NetworkId,
    NotificationType,
    AlertTypes,
    AlertSeverities,
    CheckInterval,
    CheckDelay,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationTargets {
    Table,
    Id,
    SettingId,
    UserId,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClusterBalancing {
    Table,
    NetworkId,
    ClusterId,
    TargetCount,
    BalancingType,
}

#[derive(DeriveIden)]
enum BalancingDiscounts {
    Table,
    NetworkId,
    DonorClusterId,
    ReceiverClusterId,
    DiscountAmount,
}

#[derive(DeriveIden)]
enum PricingRules {
    Table,
    Id,
    NetworkId,
    StartDow,
    StartHod,
    EndDow,
    EndHod,
    UnlockPrice,
    UnlockIncludedTime,
    FreefloatLockPrice,
    UsePerMinutePrice,
    OnHoldPrice,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SpeedZones {
    Table,
    Id,
    NetworkId,
    Shape,
    MaxSpeed,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum VirtualParkings {
    Table,
    Id,
    NetworkId,
    Shape,
    Capacity,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    NetworkId,
    Name,
    CreatedAt,
    DecommissionedAt,
}

#[derive(DeriveIden)]
enum Stations {
    Table,
    Id,
    ClusterId,
    CreatedAt,
    DecommissionedAt,
}

#[derive(DeriveIden)]
enum Trips {
    Table,
    Id,
    NetworkId,
    VehicleId,
    UserId,
    StartClusterId,
    EndClusterId,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Vehicles {
    Table,
    Id,
    Serial,
    NetworkId,
    ModelId,
    CreatedAt,
    DecommissionedAt,
}

#[derive(DeriveIden)]
enum VehicleCommands {
    Table,
    Id,
    VehicleId,
    Command,
    Payload,
    State,
    Attempts,
    LastError,
    CreatedAt,
    DeliveredAt,
}

/// Money and rates, in ten-thousandths.
fn amount(col: impl IntoIden) -> ColumnDef {
    big_integer(col)
}

fn amount_null(col: impl IntoIden) -> ColumnDef {
    big_integer_null(col)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        manager
            .create_table(
                Table::create()
                    .table(VehicleModels::Table)
                    .col(big_pk_auto(VehicleModels::Id))
                    .col(string_len_uniq(VehicleModels::Name, 100))
                    .col(string_len(VehicleModels::Kind, 16))
                    .col(string_len(VehicleModels::Manufacturer, 100))
                    .to_owned(),
            )
            .await?;
        let mut models = Query::insert()
            .into_table(VehicleModels::Table)
            .columns([
                VehicleModels::Name,
                VehicleModels::Kind,
                VehicleModels::Manufacturer,
            ])
            .to_owned();
        for (name, kind, maker) in [
            ("Relais City Bike", "bike", "Relais"),
            ("Relais E-Bike 2", "ebike", "Relais"),
            ("Relais Cargo E-Bike", "ebike", "Relais"),
            ("Segway Ninebot Max G30", "scooter", "Segway-Ninebot"),
            ("Segway Ninebot S90L", "scooter", "Segway-Ninebot"),
            ("Okai ES400", "scooter", "Okai"),
        ] {
            models.values_panic([name.into(), kind.into(), maker.into()]);
        }
        manager.exec_stmt(models).await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentMethods::Table)
                    .col(big_pk_auto(PaymentMethods::Id))
                    .col(string_len_uniq(PaymentMethods::Key, 40))
                    .col(string_len(PaymentMethods::Provider, 20))
                    .col(string_len(PaymentMethods::Kind, 20))
                    .col(string_len(PaymentMethods::Name, 60))
                    .to_owned(),
            )
            .await?;
        let mut methods = Query::insert()
            .into_table(PaymentMethods::Table)
            .columns([
                PaymentMethods::Key,
                PaymentMethods::Provider,
                PaymentMethods::Kind,
                PaymentMethods::Name,
            ])
            .to_owned();
        for (key, provider, kind, name) in [
            ("stripe-card", "stripe", "card", "Card (Stripe)"),
            ("stripe-apple-pay", "stripe", "wallet", "Apple Pay (Stripe)"),
            (
                "stripe-google-pay",
                "stripe",
                "wallet",
                "Google Pay (Stripe)",
            ),
            ("braintree-card", "braintree", "card", "Card (Braintree)"),
            (
                "braintree-paypal",
                "braintree",
                "wallet",
                "PayPal (Braintree)",
            ),
            ("uzcard", "uzcard", "card", "Uzcard"),
            ("hdcpay", "hdcpay", "card", "HDC Pay"),
        ] {
            methods.values_panic([key.into(), provider.into(), kind.into(), name.into()]);
        }
        manager.exec_stmt(methods).await?;

        manager
            .create_table(
                Table::create()
                    .table(AppLabels::Table)
                    .col(big_pk_auto(AppLabels::Id))
                    .col(string_len_uniq(AppLabels::Name, 20))
                    .col(string_len(AppLabels::DisplayName, 32))
                    .col(boolean(AppLabels::RequireSmsValidation).default(false))
                    .col(big_integer_null(AppLabels::PhoneSmsProviderId))
                    .col(boolean(AppLabels::RequireTermsOfUse).default(false))
                    .col(boolean(AppLabels::AutoDeleteUsers).default(false))
                    .col(string_len_null(AppLabels::AndroidStoreUrl, 100))
                    .col(string_len_null(AppLabels::IosStoreUrl, 100))
                    .col(boolean(AppLabels::SavedPaymentMethodIsOptional).default(false))
                    .col(string_len_null(AppLabels::Website, 100))
                    .col(string_len_null(AppLabels::ContactEmail, 100))
                    .col(string_len_null(AppLabels::ContactPhoneNumber, 100))
                    .col(timestamp_with_time_zone(AppLabels::CreatedAt))
                    .col(timestamp_with_time_zone(AppLabels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppLabelBilling::Table)
                    .col(big_integer(AppLabelBilling::AppLabelId).primary_key())
                    .col(string_len_null(AppLabelBilling::Name, 100))
                    .col(string_len_null(AppLabelBilling::LegalForm, 50))
                    .col(string_len_null(AppLabelBilling::VatNumber, 50))
                    .col(string_len_null(AppLabelBilling::RegistrationNumber, 50))
                    .col(string_len_null(AppLabelBilling::Capital, 50))
                    .col(string_len(AppLabelBilling::Street, 200))
                    .col(string_len(AppLabelBilling::ZipCode, 20))
                    .col(string_len(AppLabelBilling::City, 150))
                    .col(string_len(AppLabelBilling::Country, 100))
                    .col(string_len_null(AppLabelBilling::Issuer, 100))
                    .col(timestamp_with_time_zone(AppLabelBilling::UpdatedAt))
                    .foreign_key(&mut fk(
                        (AppLabelBilling::Table, AppLabelBilling::AppLabelId),
                        (AppLabels::Table, AppLabels::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppLabelMailSettings::Table)
                    .col(big_integer(AppLabelMailSettings::AppLabelId).primary_key())
                    .col(boolean(AppLabelMailSettings::SendMails))
                    .col(string_len(AppLabelMailSettings::SenderAddress, 255))
                    .col(string_len(AppLabelMailSettings::SenderName, 32))
                    .col(string_len_null(AppLabelMailSettings::ReplyTo, 255))
                    .col(string_len(AppLabelMailSettings::NotificationEmail, 255))
                    .col(timestamp_with_time_zone(AppLabelMailSettings::UpdatedAt))
                    .foreign_key(&mut fk(
                        (
                            AppLabelMailSettings::Table,
                            AppLabelMailSettings::AppLabelId,
                        ),
                        (AppLabels::Table, AppLabels::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppLabelPaymentMethods::Table)
                    .col(big_integer(AppLabelPaymentMethods::AppLabelId))
                    .col(big_integer(AppLabelPaymentMethods::MethodId))
                    .col(timestamp_with_time_zone(AppLabelPaymentMethods::EnabledAt))
                    .primary_key(
                        Index::create()
                            .col(AppLabelPaymentMethods::AppLabelId)
                            .col(AppLabelPaymentMethods::MethodId),
                    )
                    .foreign_key(&mut fk(
                        (
                            AppLabelPaymentMethods::Table,
                            AppLabelPaymentMethods::AppLabelId,
                        ),
                        (AppLabels::Table, AppLabels::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (
                            AppLabelPaymentMethods::Table,
                            AppLabelPaymentMethods::MethodId,
                        ),
                        (PaymentMethods::Table, PaymentMethods::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ThirdParties::Table)
                    .col(big_pk_auto(ThirdParties::Id))
                    .col(string_len(ThirdParties::Name, 255))
                    .col(string_len(ThirdParties::Address, 512))
                    .col(string_len(ThirdParties::Zipcode, 10))
                    .col(string_len(ThirdParties::City, 128))
                    .col(integer(ThirdParties::CountryId))
                    .col(big_integer_null(ThirdParties::ErpId).unique_key())
                    .col(string_len_null(ThirdParties::Email, 254))
                    .col(string_len_null(ThirdParties::Phone, 64))
                    .col(string_len_null(ThirdParties::VatNumber, 64))
                    .col(timestamp_with_time_zone(ThirdParties::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Networks::Table)
                    .col(big_pk_auto(Networks::Id))
                    .col(string_len(Networks::Name, 200))
                    .col(amount(Networks::DefaultVat))
                    .col(integer(Networks::CountryId))
                    .col(string_len(Networks::Currency, 3))
                    .col(amount(Networks::DefaultVehicleGuarantee))
                    .col(integer(Networks::TripToSkipPreAuthGuarantee))
                    .col(string_len(Networks::Timezone, 64))
                    .col(big_integer_null(Networks::ThirdPartyId))
                    .col(big_integer(Networks::AppLabelId))
                    .col(string_len_null(Networks::TenantCode, 128).unique_key())
                    .col(big_integer_null(Networks::CreatedBy))
                    .col(timestamp_with_time_zone(Networks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Networks::ClosedAt))
                    .col(amount(Networks::SponsoringReward).default(0))
                    .col(amount(Networks::SponsoredReward).default(0))
                    .col(boolean(Networks::FirstPurchaseRequired).default(false))
                    .col(integer(Networks::MinBatteryToRent).default(20))
                    .col(integer(Networks::MaxSimultaneousRentedVehicle).default(1))
                    .col(boolean(Networks::TripOnHold).default(true))
                    .col(boolean(Networks::CreditDepletionAutoLock).default(false))
                    .col(integer_null(Networks::MinBatteryToAutoLock))
                    .col(integer(Networks::TripTooLongNotifications).default(14400))
                    .col(integer(Networks::TripTooLongNotificationsFrequency).default(3600))
                    .col(integer(Networks::VehicleStolen).default(172800))
                    .col(integer(Networks::TripAutoPause).default(0))
                    .col(integer(Networks::TripMaxPause).default(3600))
                    .col(integer(Networks::TripAutoLock).default(86400))
                    .col(amount_null(Networks::FreefloatToStationDiscountPerKm))
                    .col(amount_null(Networks::FreefloatToStationFreeCredits))
                    .col(amount_null(Networks::FreefloatToReceiverStationFreeCredits))
                    .col(integer_null(Networks::FreefloatToStationMinBattery))
                    .col(integer(Networks::DefaultLowSpeed).default(15))
                    .col(integer(Networks::DefaultMediumSpeed).default(20))
                    .col(integer(Networks::DefaultHighSpeed).default(25))
                    .col(integer_null(Networks::MinBatteryToSlowDown))
                    .col(integer_null(Networks::BatterySlowDownSpeed))
                    .col(text_null(Networks::BorderShape))
                    .col(boolean(Networks::BorderTriggerAlert).default(true))
                    .col(boolean(Networks::BorderNotifyUser).default(true))
                    .col(boolean(Networks::BorderReduceVehicleSpeed).default(false))
                    .col(boolean(Networks::BorderPlayVehicleSound).default(false))
                    .col(boolean(Networks::BorderLockVehicle).default(false))
                    .foreign_key(&mut fk(
                        (Networks::Table, Networks::ThirdPartyId),
                        (ThirdParties::Table, ThirdParties::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Networks::Table, Networks::AppLabelId),
                        (AppLabels::Table, AppLabels::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Networks::Table, Networks::CreatedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NetworkAccessRules::Table)
                    .col(big_pk_auto(NetworkAccessRules::Id))
                    .col(big_integer(NetworkAccessRules::NetworkId))
                    .col(string_len_null(NetworkAccessRules::EmailPattern, 255))
                    .col(big_integer_null(NetworkAccessRules::OrganizationId))
                    .col(big_integer_null(NetworkAccessRules::AppLabelId))
                    .col(timestamp_with_time_zone(NetworkAccessRules::CreatedAt))
                    .foreign_key(&mut fk(
                        (NetworkAccessRules::Table, NetworkAccessRules::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (NetworkAccessRules::Table, NetworkAccessRules::AppLabelId),
                        (AppLabels::Table, AppLabels::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NetworkVehicleModels::Table)
                    .col(big_integer(NetworkVehicleModels::NetworkId))
                    .col(big_integer(NetworkVehicleModels::ModelId))
                    .col(boolean_null(NetworkVehicleModels::AutoLight))
                    .col(small_integer_null(NetworkVehicleModels::SpeedMode))
                    .col(amount_null(NetworkVehicleModels::Guarantee))
                    .col(amount_null(NetworkVehicleModels::PreAuth))
                    .col(timestamp_with_time_zone(NetworkVehicleModels::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(NetworkVehicleModels::NetworkId)
                            .col(NetworkVehicleModels::ModelId),
                    )
                    .foreign_key(&mut fk(
                        (NetworkVehicleModels::Table, NetworkVehicleModels::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (NetworkVehicleModels::Table, NetworkVehicleModels::ModelId),
                        (VehicleModels::Table, VehicleModels::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutOfOrders::Table)
                    .col(big_pk_auto(OutOfOrders::Id))
                    .col(big_integer(OutOfOrders::NetworkId))
                    .col(string_len(OutOfOrders::Kind, 16))
                    .col(string_len_null(OutOfOrders::Reason, 100))
                    .col(timestamp_with_time_zone(OutOfOrders::StartDate))
                    .col(timestamp_with_time_zone_null(OutOfOrders::EndDate))
                    .col(big_integer_null(OutOfOrders::CreatedBy))
                    .col(timestamp_with_time_zone(OutOfOrders::CreatedAt))
                    .foreign_key(&mut fk(
                        (OutOfOrders::Table, OutOfOrders::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (OutOfOrders::Table, OutOfOrders::CreatedBy),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationSettings::Table)
                    .col(big_pk_auto(NotificationSettings::Id))
                    .col(big_integer(NotificationSettings::NetworkId))
                    .col(string_len(NotificationSettings::NotificationType, 32))
                    .col(text(NotificationSettings::AlertTypes))
                    .col(text(NotificationSettings::AlertSeverities))
                    .col(integer_null(NotificationSettings::CheckInterval))
                    .col(integer_null(NotificationSettings::CheckDelay))
                    .col(timestamp_with_time_zone(NotificationSettings::CreatedAt))
                    .foreign_key(&mut fk(
                        (NotificationSettings::Table, NotificationSettings::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationTargets::Table)
                    .col(big_pk_auto(NotificationTargets::Id))
                    .col(big_integer(NotificationTargets::SettingId))
                    .col(big_integer_null(NotificationTargets::UserId))
                    .col(string_len_null(NotificationTargets::Email, 254))
                    .col(timestamp_with_time_zone(NotificationTargets::CreatedAt))
                    .foreign_key(&mut fk(
                        (NotificationTargets::Table, NotificationTargets::SettingId),
                        (NotificationSettings::Table, NotificationSettings::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (NotificationTargets::Table, NotificationTargets::UserId),
                        (Users::Table, Users::Id),
                        Cascade,
                    ))
                    .check(
                        Expr::col(NotificationTargets::UserId)
                            .is_null()
                            .ne(Expr::col(NotificationTargets::Email).is_null()),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_notification_targets_user", NotificationTargets::UserId),
            ("idx_notification_targets_email", NotificationTargets::Email),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(NotificationTargets::Table)
                        .col(NotificationTargets::SettingId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ClusterBalancing::Table)
                    .col(big_integer(ClusterBalancing::NetworkId))
                    .col(big_integer(ClusterBalancing::ClusterId))
                    .col(integer(ClusterBalancing::TargetCount))
                    .col(string_len(ClusterBalancing::BalancingType, 16))
                    .primary_key(
                        Index::create()
                            .col(ClusterBalancing::NetworkId)
                            .col(ClusterBalancing::ClusterId),
                    )
                    .foreign_key(&mut fk(
                        (ClusterBalancing::Table, ClusterBalancing::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BalancingDiscounts::Table)
                    .col(big_integer(BalancingDiscounts::NetworkId))
                    .col(big_integer(BalancingDiscounts::DonorClusterId))
                    .col(big_integer(BalancingDiscounts::ReceiverClusterId))
                    .col(amount(BalancingDiscounts::DiscountAmount))
                    .primary_key(
                        Index::create()
                            .col(BalancingDiscounts::NetworkId)
                            .col(BalancingDiscounts::DonorClusterId)
                            .col(BalancingDiscounts::ReceiverClusterId),
                    )
                    .foreign_key(&mut fk(
                        (BalancingDiscounts::Table, BalancingDiscounts::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PricingRules::Table)
                    .col(big_pk_auto(PricingRules::Id))
                    .col(big_integer(PricingRules::NetworkId))
                    .col(small_integer(PricingRules::StartDow))
                    .col(integer(PricingRules::StartHod))
                    .col(small_integer(PricingRules::EndDow))
                    .col(integer(PricingRules::EndHod))
                    .col(amount(PricingRules::UnlockPrice))
                    .col(integer(PricingRules::UnlockIncludedTime))
                    .col(amount(PricingRules::FreefloatLockPrice))
                    .col(amount(PricingRules::UsePerMinutePrice))
                    .col(amount(PricingRules::OnHoldPrice))
                    .col(timestamp_with_time_zone(PricingRules::CreatedAt))
                    .col(timestamp_with_time_zone(PricingRules::UpdatedAt))
                    .foreign_key(&mut fk(
                        (PricingRules::Table, PricingRules::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SpeedZones::Table)
                    .col(big_pk_auto(SpeedZones::Id))
                    .col(big_integer(SpeedZones::NetworkId))
                    .col(text(SpeedZones::Shape))
                    .col(integer(SpeedZones::MaxSpeed))
                    .col(timestamp_with_time_zone(SpeedZones::CreatedAt))
                    .col(timestamp_with_time_zone_null(SpeedZones::DeletedAt))
                    .foreign_key(&mut fk(
                        (SpeedZones::Table, SpeedZones::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VirtualParkings::Table)
                    .col(big_pk_auto(VirtualParkings::Id))
                    .col(big_integer_null(VirtualParkings::NetworkId))
                    .col(text(VirtualParkings::Shape))
                    .col(integer(VirtualParkings::Capacity))
                    .col(timestamp_with_time_zone(VirtualParkings::CreatedAt))
                    .col(timestamp_with_time_zone_null(VirtualParkings::DeletedAt))
                    .foreign_key(&mut fk(
                        (VirtualParkings::Table, VirtualParkings::NetworkId),
                        (Networks::Table, Networks::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        // Clusters, stations and trips start here with what network indicators, balancing and
        // estimates need; the fleet and trip work extend them.
        manager
            .create_table(
                Table::create()
                    .table(Clusters::Table)
                    .col(big_pk_auto(Clusters::Id))
                    .col(big_integer(Clusters::NetworkId))
                    .col(string_len(Clusters::Name, 200))
                    .col(timestamp_with_time_zone(Clusters::CreatedAt))
                    .col(timestamp_with_time_zone_null(Clusters::DecommissionedAt))
                    .foreign_key(&mut fk(
                        (Clusters::Table, Clusters::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Stations::Table)
                    .col(big_pk_auto(Stations::Id))
                    .col(big_integer(Stations::ClusterId))
                    .col(timestamp_with_time_zone(Stations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Stations::DecommissionedAt))
                    .foreign_key(&mut fk(
                        (Stations::Table, Stations::ClusterId),
                        (Clusters::Table, Clusters::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Vehicles::Table)
                    .col(big_pk_auto(Vehicles::Id))
                    .col(string_len_uniq(Vehicles::Serial, 64))
                    .col(big_integer(Vehicles::NetworkId))
                    .col(big_integer(Vehicles::ModelId))
                    .col(timestamp_with_time_zone(Vehicles::CreatedAt))
                    .col(timestamp_with_time_zone_null(Vehicles::DecommissionedAt))
                    .foreign_key(&mut fk(
                        (Vehicles::Table, Vehicles::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Vehicles::Table, Vehicles::ModelId),
                        (VehicleModels::Table, VehicleModels::Id),
                        Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicles_network")
                    .table(Vehicles::Table)
                    .col(Vehicles::NetworkId)
                    .col(Vehicles::ModelId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Trips::Table)
                    .col(big_pk_auto(Trips::Id))
                    .col(big_integer(Trips::NetworkId))
                    .col(big_integer_null(Trips::VehicleId))
                    .col(big_integer_null(Trips::UserId))
                    .col(big_integer_null(Trips::StartClusterId))
                    .col(big_integer_null(Trips::EndClusterId))
                    .col(timestamp_with_time_zone(Trips::StartedAt))
                    .col(timestamp_with_time_zone_null(Trips::EndedAt))
                    .foreign_key(&mut fk(
                        (Trips::Table, Trips::NetworkId),
                        (Networks::Table, Networks::Id),
                        Restrict,
                    ))
                    .foreign_key(&mut fk(
                        (Trips::Table, Trips::VehicleId),
                        (Vehicles::Table, Vehicles::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        (Trips::Table, Trips::UserId),
                        (Users::Table, Users::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_trips_route")
                    .table(Trips::Table)
                    .col(Trips::NetworkId)
                    .col(Trips::StartClusterId)
                    .col(Trips::EndClusterId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehicleCommands::Table)
                    .col(big_pk_auto(VehicleCommands::Id))
                    .col(big_integer(VehicleCommands::VehicleId))
                    .col(string_len(VehicleCommands::Command, 32))
                    .col(text(VehicleCommands::Payload))
                    .col(string_len(VehicleCommands::State, 16))
                    .col(integer(VehicleCommands::Attempts).default(0))
                    .col(text_null(VehicleCommands::LastError))
                    .col(timestamp_with_time_zone(VehicleCommands::CreatedAt))
                    .col(timestamp_with_time_zone_null(VehicleCommands::DeliveredAt))
                    .foreign_key(&mut fk(
                        (VehicleCommands::Table, VehicleCommands::VehicleId),
                        (Vehicles::Table, Vehicles::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicle_commands_pending")
                    .table(VehicleCommands::Table)
                    .col(VehicleCommands::State)
                    .col(VehicleCommands::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            VehicleCommands::Table.into_iden(),
            Trips::Table.into_iden(),
            Vehicles::Table.into_iden(),
            Stations::Table.into_iden(),
            Clusters::Table.into_iden(),
            VirtualParkings::Table.into_iden(),
            SpeedZones::Table.into_iden(),
            PricingRules::Table.into_iden(),
            BalancingDiscounts::Table.into_iden(),
            ClusterBalancing::Table.into_iden(),
            NotificationTargets::Table.into_iden(),
            NotificationSettings::Table.into_iden(),
            OutOfOrders::Table.into_iden(),
            NetworkVehicleModels::Table.into_iden(),
            NetworkAccessRules::Table.into_iden(),
            Networks::Table.into_iden(),
            ThirdParties::Table.into_iden(),
            AppLabelPaymentMethods::Table.into_iden(),
            AppLabelMailSettings::Table.into_iden(),
            AppLabelBilling::Table.into_iden(),
            AppLabels::Table.into_iden(),
            PaymentMethods::Table.into_iden(),
            VehicleModels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
