//! An invoice or credit note as a PDF document: the issuer's legal mentions as they stood when
//! it was issued, the customer, the number and date, the lines, the VAT and the totals.
//!
//! One A4 page in the standard Helvetica font (no font embedded: every PDF reader has it);
//! its encoding covers Latin-1, so characters beyond it are written `?` (names in other
//! scripts need an embedded font, a later step).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// The issuer, as its billing identity said when the document was issued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    /// Legal form, capital, registration and VAT numbers: one mention a line.
    pub mentions: Vec<String>,
    pub address: Vec<String>,
}

/// One line of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub title: String,
    /// The amount of the line, VAT included, as written (`"3.50"`).
    pub amount_w_vat: String,
}

/// What an invoice or credit note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// `Invoice` or `Credit note`.
    pub title: String,
    /// `LYON-000000012`.
    pub reference: String,
    /// The invoice a credit note corrects.
    pub corrects: Option<String>,
    /// `2026-12-04` (the issue date, in UTC).
    pub date: String,
    pub issuer: Issuer,
    /// The customer's name and email.
    pub customer: Vec<String>,
    pub lines: Vec<Line>,
    pub currency: String,
    pub amount: String,
    /// `20 %`.
    pub vat_rate: String,
    pub vat_amount: String,
    pub amount_w_vat: String,
    /// How and when it was paid (`Paid by card on 2026-12-04`).
    pub payment: String,
}

/// Latin-1 bytes of `text` (the font's WinAnsi encoding agrees with Latin-1 on its letters);
/// characters beyond it become `?`, and control characters are dropped.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

const A4: (f32, f32) = (595.0, 842.0);
const LEFT: f32 = 56.0;
const RIGHT: f32 = A4.0 - 56.0;

/// Write `text` at `(x, y)` in `size`.
fn text(content: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, value: &str) {
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&latin1(value)))
        .end_text();
}

/// Write `value` ending at `right` (Helvetica digits are 0.556 em wide; good enough for the
/// amounts, which are digits and a point).
fn text_right(content: &mut Content, font: Name<'_>, size: f32, right: f32, y: f32, value: &str) {
    let width = 0.556 * size * value.chars().count() as f32;
    text(content, font, size, right - width, y, value);
}

/// The document as a PDF file.
pub fn render(doc: &InvoiceDocument) -> Vec<u8> {
    let (catalog, tree, page_id, regular_id, bold_id, content_id) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    let (regular, bold) = (Name(b"F1"), Name(b"F2"));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut c = Content::new();
    let mut y = A4.1 - 64.0;
    text(&mut c, bold, 16.0, LEFT, y, &doc.issuer.name);
    text_right(&mut c, bold, 16.0, RIGHT, y, &doc.title);
    y -= 18.0;
    for line in doc.issuer.address.iter().chain(&doc.issuer.mentions) {
        text(&mut c, regular, 9.0, LEFT, y, line);
        y -= 12.0;
    }
    let mut right_y = A4.1 - 82.0;
    for line in [
        format!("No. {}", doc.reference),
        format!("Date: {}", doc.date),
    ]
    .iter()
    .chain(
        doc.corrects
            .as_ref()
            .map(|c| format!("Corrects invoice {c}"))
            .iter(),
    ) {
        text_right(&mut c, regular, 10.0, RIGHT, right_y, line);
        right_y -= 14.0;
    }
    y = y.min(right_y) - 24.0;
    text(&mut c, bold, 10.0, LEFT, y, "Customer");
    y -= 14.0;
    for line in &doc.customer {
        text(&mut c, regular, 10.0, LEFT, y, line);
        y -= 13.0;
    }
    y -= 20.0;
    text(&mut c, bold, 10.0, LEFT, y, "Description");
    text_right(
        &mut c,
        bold,
        10.0,
        RIGHT,
        y,
        &format!("Amount incl. VAT ({})", doc.currency),
    );
    y -= 6.0;
    c.move_to(LEFT, y).line_to(RIGHT, y).stroke();
    y -= 16.0;
    for line in &doc.lines {
        text(&mut c, regular, 10.0, LEFT, y, &line.title);
        text_right(&mut c, regular, 10.0, RIGHT, y, &line.amount_w_vat);
        y -= 14.0;
    }
    y -= 10.0;
    for (label, value, font) in [
        ("Total excl. VAT", &doc.amount, regular),
        (&*format!("VAT {}", doc.vat_rate), &doc.vat_amount, regular),
        ("Total incl. VAT", &doc.amount_w_vat, bold),
    ] {
        text(&mut c, font, 10.0, RIGHT - 220.0, y, label);
        text_right(
            &mut c,
            font,
            10.0,
            RIGHT,
            y,
            &format!("{value} {}", doc.currency),
        );
        y -= 14.0;
    }
    y -= 18.0;
    text(&mut c, regular, 9.0, LEFT, y, &doc.payment);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
    page.parent(tree);
    page.contents(content_id);
    {
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(regular, regular_id);
        fonts.pair(bold, bold_id);
    }
    page.finish();
    pdf.type1_font(regular_id)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_id)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(content_id, &c.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> InvoiceDocument {
        InvoiceDocument {
            title: "Invoice".into(),
            reference: "LYON-000000001".into(),
            corrects: None,
            date: "2026-12-04".into(),
            issuer: Issuer {
                name: "Vélos de Lyon SAS".into(),
                mentions: vec![
                    "SAS au capital de 10 000 EUR".into(),
                    "VAT FR12345678901".into(),
                ],
                address: vec!["1 place Bellecour, 69002 Lyon".into()],
            },
            customer: vec!["Ada Lovelace".into(), "ada@example.org".into()],
            lines: vec![Line {
                title: "Trip 12 min".into(),
                amount_w_vat: "3.50".into(),
            }],
            currency: "EUR".into(),
            amount: "2.92".into(),
            vat_rate: "20 %".into(),
            vat_amount: "0.58".into(),
            amount_w_vat: "3.50".into(),
            payment: "Paid by card on 2026-12-04".into(),
        }
    }

    #[test]
    fn an_invoice_is_a_pdf_holding_its_mentions() {
        let bytes = render(&doc());
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        for needle in [
            "LYON-000000001",
            "Trip 12 min",
            "VAT FR12345678901",
            "Helvetica",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        // Latin-1 letters are kept as one byte each: "Vé" is 56 E9 (a hex string in the PDF).
        assert!(text.contains("<56E96C6F73"), "{text}");
    }

    #[test]
    fn characters_beyond_latin1_are_replaced() {
        assert_eq!(
            latin1("Zoë 東京\u{7}"),
            vec![b'Z', b'o', 0xEB, b' ', b'?', b'?']
        );
    }
}
