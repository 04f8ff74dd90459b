//! The built-in texts of the messages relais sends, per language (English and French; English
//! for any other). The MailTemplates group will make them editable per app label.

/// A message's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub body: String,
}

fn fr(language: &str) -> bool {
    language == "fr"
}

/// Whether messages of `template` carry a single-use code (never shown to staff).
pub fn carries_code(template: &str) -> bool {
    matches!(
        template,
        "confirm_email" | "confirm_phone" | "password_reset" | "staff_invite"
    )
}

/// The mail carrying the code that confirms a rider's address.
pub fn confirm_email(language: &str, app: &str, code: &str) -> Text {
    if fr(language) {
        Text {
            subject: format!("{app} : confirmez votre adresse"),
            body: format!(
                "Bonjour,\n\nVotre code de confirmation {app} est : {code}\n\nIl est valable 24 heures. Si vous n'avez pas créé de compte, ignorez ce message.\n"
            ),
        }
    } else {
        Text {
            subject: format!("{app}: confirm your address"),
            body: format!(
                "Hello,\n\nYour {app} confirmation code is: {code}\n\nIt is valid for 24 hours. If you did not create an account, ignore this message.\n"
            ),
        }
    }
}

/// The SMS carrying the code that confirms a rider's phone number.
pub fn confirm_phone(language: &str, app: &str, code: &str) -> Text {
    let body = if fr(language) {
        format!("{app} : votre code de confirmation est {code}")
    } else {
        format!("{app}: your confirmation code is {code}")
    };
    Text {
        subject: String::new(),
        body,
    }
}

/// The mail carrying a password reset code.
pub fn password_reset(language: &str, app: &str, code: &str) -> Text {
    if fr(language) {
        Text {
            subject: format!("{app} : réinitialisation du mot de passe"),
            body: format!(
                "Bonjour,\n\nPour choisir un nouveau mot de passe, saisissez ce code : {code}\n\nIl est valable une heure et ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n"
            ),
        }
    } else {
        Text {
            subject: format!("{app}: reset your password"),
            body: format!(
                "Hello,\n\nTo choose a new password, enter this code: {code}\n\nIt is valid for one hour and works once. If you did not ask for it, ignore this message: your password does not change.\n"
            ),
        }
    }
}

/// The mail inviting a staff member to set a password.
pub fn staff_invite(language: &str, inviter: &str, code: &str) -> Text {
    if fr(language) {
        Text {
            subject: "Invitation au tableau de bord relais".to_owned(),
            body: format!(
                "Bonjour,\n\n{inviter} vous invite sur le tableau de bord relais. Choisissez votre mot de passe avec ce code : {code}\n\nIl est valable 7 jours et ne sert qu'une fois.\n"
            ),
        }
    } else {
        Text {
            subject: "Your invitation to the relais dashboard".to_owned(),
            body: format!(
                "Hello,\n\n{inviter} invites you to the relais dashboard. Choose your password with this code: {code}\n\nIt is valid for 7 days and works once.\n"
            ),
        }
    }
}

/// A message written by staff.
pub fn staff_message(language: &str, app: &str, message: &str) -> Text {
    Text {
        subject: if fr(language) {
            format!("Un message de {app}")
        } else {
            format!("A message from {app}")
        },
        body: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_the_language_and_carry_the_code() {
        let en = confirm_email("en", "Velo", "123456");
        let fr = confirm_email("fr", "Velo", "123456");
        assert!(en.body.contains("123456") && fr.body.contains("123456"));
        assert!(en.subject.contains("confirm"));
        assert!(fr.subject.contains("confirmez"));
        // Any other language reads English.
        assert_eq!(
            confirm_email("de", "Velo", "1"),
            confirm_email("en", "Velo", "1")
        );
        assert!(password_reset("fr", "Velo", "9").body.contains("une heure"));
        assert!(staff_invite("en", "Ada", "77").body.contains("Ada"));
    }
}
