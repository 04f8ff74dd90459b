//! Vehicle labels: the QR code a rider scans to find a vehicle, as a PNG image, and sheets of
//! printable labels as a one-page PDF.
//!
//! The content of a vehicle's QR code is its serial, as is (`SXB123`): the rider app reads the
//! serial and asks for that vehicle.
//!
//! A sheet is one page of exactly the size asked for, in centimetres (a PDF point is 1/72 inch,
//! so `points = cm / 2.54 * 72`). It keeps a margin of [`MARGIN_CM`] on every side and is filled
//! left to right, top to bottom, with cells of [`CELL_WIDTH_CM`] by [`CELL_HEIGHT_CM`]. Each cell
//! holds the QR code of one serial, [`QR_SIDE_CM`] square with its quiet zone, centred at the
//! top, and the serial written under it in Courier Bold. Serials are the prefix followed by
//! `begin_id`, `begin_id + 1`, ... zero-padded to one common width, so that every serial has at
//! least 6 characters (the serial rule is `^[a-zA-Z0-9]{6,10}$`).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, QrCode};

/// The margin kept on every side of a sheet.
pub const MARGIN_CM: f64 = 0.5;
/// The width of one label.
pub const CELL_WIDTH_CM: f64 = 3.0;
/// The height of one label (QR code and serial).
pub const CELL_HEIGHT_CM: f64 = 3.6;
/// The side of a printed QR code, quiet zone included.
pub const QR_SIDE_CM: f64 = 2.6;
/// The largest sheet side accepted.
pub const MAX_SIDE_CM: f64 = 300.0;
/// The shortest and longest serials.
pub const SERIAL_MIN: usize = 6;
pub const SERIAL_MAX: usize = 10;

/// Modules of blank border around a QR code, as the standard asks.
const QUIET_ZONE: usize = 4;
/// Pixels per module in PNG images.
const PNG_SCALE: usize = 10;
/// The size of the serial under each code, in points.
const TEXT_SIZE: f32 = 9.0;

/// Why a label cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    #[error("the content is too long for a QR code")]
    TooLong,
    #[error("must be more than 0 and at most {MAX_SIDE_CM} cm")]
    BadSide { field: &'static str },
    #[error(
        "the sheet is too small for one label: it needs at least {} x {} cm",
        CELL_WIDTH_CM + 2.0 * MARGIN_CM,
        CELL_HEIGHT_CM + 2.0 * MARGIN_CM
    )]
    TooSmall,
    #[error("the serials of this sheet would be longer than {SERIAL_MAX} characters")]
    SerialTooLong,
    #[error("cannot write the image: {0}")]
    Encoding(String),
}

/// The text a vehicle's QR code holds: its serial.
pub fn qr_content(serial: &str) -> String {
    serial.to_owned()
}

/// The modules of the QR code of `content`, quiet zone included, rows from the top: `true` is dark.
fn modules(content: &str) -> Result<(usize, Vec<bool>), LabelError> {
    let code = QrCode::new(content.as_bytes()).map_err(|_| LabelError::TooLong)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut dark = vec![false; side * side];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET_ZONE) * side + x + QUIET_ZONE] = colors[y * width + x] == Color::Dark;
        }
    }
    Ok((side, dark))
}

/// The QR code of `content` as a greyscale PNG, 10 pixels per module, with its quiet zone.
pub fn qr_png(content: &str) -> Result<Vec<u8>, LabelError> {
    let (side, dark) = modules(content)?;
    let pixels = side * PNG_SCALE;
    let mut data = vec![255u8; pixels * pixels];
    for y in 0..pixels {
        for x in 0..pixels {
            if dark[(y / PNG_SCALE) * side + x / PNG_SCALE] {
                data[y * pixels + x] = 0;
            }
        }
    }
    let encoding = |e: png::EncodingError| LabelError::Encoding(e.to_string());
    let size = u32::try_from(pixels).map_err(|e| LabelError::Encoding(e.to_string()))?;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, size, size);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(encoding)?;
        writer.write_image_data(&data).map_err(encoding)?;
        writer.finish().map_err(encoding)?;
    }
    Ok(out)
}

/// Centimetres to PDF points.
pub fn points(cm: f64) -> f32 {
    (cm / 2.54 * 72.0) as f32
}

/// How many labels fit on a sheet: (columns, rows).
pub fn grid(width_cm: f64, height_cm: f64) -> (usize, usize) {
    let fit = |side: f64, cell: f64| ((side - 2.0 * MARGIN_CM) / cell + 1e-9).floor().max(0.0);
    (
        fit(width_cm, CELL_WIDTH_CM) as usize,
        fit(height_cm, CELL_HEIGHT_CM) as usize,
    )
}

/// The serials of a sheet of `count` labels: `prefix` and the ids from `begin_id`, zero-padded
/// to one width so that each has at least 6 characters; refused beyond 10.
pub fn sheet_serials(prefix: &str, begin_id: u64, count: usize) -> Result<Vec<String>, LabelError> {
    let last = begin_id
        .checked_add(count.saturating_sub(1) as u64)
        .ok_or(LabelError::SerialTooLong)?;
    let digits = last
        .to_string()
        .len()
        .max(SERIAL_MIN.saturating_sub(prefix.len()));
    if prefix.len() + digits > SERIAL_MAX {
        return Err(LabelError::SerialTooLong);
    }
    Ok((0..count as u64)
        .map(|i| format!("{prefix}{:0digits$}", begin_id + i))
        .collect())
}

/// Check the size of a sheet: each side more than 0 and at most 300 cm, room for one label.
pub fn check_sheet(width_cm: f64, height_cm: f64) -> Result<(usize, usize), LabelError> {
    for (field, side) in [("width_in_cm", width_cm), ("height_in_cm", height_cm)] {
        if !side.is_finite() || side <= 0.0 || side > MAX_SIDE_CM {
            return Err(LabelError::BadSide { field });
        }
    }
    let (columns, rows) = grid(width_cm, height_cm);
    if columns == 0 || rows == 0 {
        return Err(LabelError::TooSmall);
    }
    Ok((columns, rows))
}

/// A one-page PDF of exactly `width_cm` x `height_cm` filled with labels (see the module).
pub fn sheet_pdf(
    prefix: &str,
    begin_id: u64,
    width_cm: f64,
    height_cm: f64,
) -> Result<Vec<u8>, LabelError> {
    let (columns, rows) = check_sheet(width_cm, height_cm)?;
    let serials = sheet_serials(prefix, begin_id, columns * rows)?;

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let page_id = Ref::new(3);
    let font_id = Ref::new(4);
    let content_id = Ref::new(5);
    let first_image = 6;
    let font_name = Name(b"F1");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id).kids([page_id]).count(1);

    let image_names: Vec<String> = (0..serials.len()).map(|i| format!("Q{i}")).collect();
    let mut content = Content::new();
    let qr_side = points(QR_SIDE_CM);
    let page_height = points(height_cm);
    let mut images = Vec::with_capacity(serials.len());
    for (i, serial) in serials.iter().enumerate() {
        let (column, row) = (i % columns, i / columns);
        let left = points(MARGIN_CM + column as f64 * CELL_WIDTH_CM);
        let top = page_height - points(MARGIN_CM + row as f64 * CELL_HEIGHT_CM);
        let cell_width = points(CELL_WIDTH_CM);
        // The code, centred at the top of the cell, 0.2 cm below its edge.
        let qr_left = left + (cell_width - qr_side) / 2.0;
        let qr_bottom = top - points(0.2) - qr_side;
        content.save_state();
        content.transform([qr_side, 0.0, 0.0, qr_side, qr_left, qr_bottom]);
        content.x_object(Name(image_names[i].as_bytes()));
        content.restore_state();
        // The serial, centred under it (Courier glyphs are 0.6 em wide).
        let text_width = 0.6 * TEXT_SIZE * serial.len() as f32;
        content
            .begin_text()
            .set_font(font_name, TEXT_SIZE)
            .next_line(
                left + (cell_width - text_width) / 2.0,
                qr_bottom - points(0.45),
            )
            .show(Str(serial.as_bytes()))
            .end_text();

        let (side, dark) = modules(&qr_content(serial))?;
        // One bit per module, rows padded to whole bytes; 0 is black in DeviceGray.
        let row_bytes = side.div_ceil(8);
        let mut bits = vec![0xFFu8; row_bytes * side];
        for y in 0..side {
            for x in 0..side {
                if dark[y * side + x] {
                    bits[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        images.push((side, bits));
    }

    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, points(width_cm), page_height));
    page.parent(tree_id);
    page.contents(content_id);
    {
        let mut resources = page.resources();
        resources.fonts().pair(font_name, font_id);
        let mut objects = resources.x_objects();
        for (i, name) in image_names.iter().enumerate() {
            objects.pair(Name(name.as_bytes()), Ref::new(first_image + i as i32));
        }
    }
    page.finish();
    pdf.type1_font(font_id).base_font(Name(b"Courier-Bold"));
    pdf.stream(content_id, &content.finish());
    for (i, (side, bits)) in images.iter().enumerate() {
        let side = *side as i32;
        let mut image = pdf.image_xobject(Ref::new(first_image + i as i32), bits);
        image.width(side);
        image.height(side);
        image.color_space().device_gray();
        image.bits_per_component(1);
        image.interpolate(false);
        image.finish();
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_padded_to_six_characters_and_refused_beyond_ten() {
        assert_eq!(
            sheet_serials("SXB", 7, 3).unwrap(),
            ["SXB007", "SXB008", "SXB009"]
        );
        assert_eq!(
            sheet_serials("S", 98, 3).unwrap(),
            ["S00098", "S00099", "S00100"]
        );
        assert_eq!(sheet_serials("ABCDEFG", 0, 1).unwrap(), ["ABCDEFG0"]);
        assert_eq!(
            sheet_serials("ABCDEFG", 999, 2),
            Err(LabelError::SerialTooLong)
        );
    }

    #[test]
    fn the_grid_keeps_the_margins() {
        assert_eq!(grid(21.0, 29.7), (6, 7));
        assert_eq!(grid(4.0, 4.6), (1, 1));
        assert_eq!(check_sheet(3.9, 10.0), Err(LabelError::TooSmall));
        assert!(matches!(
            check_sheet(0.0, 10.0),
            Err(LabelError::BadSide {
                field: "width_in_cm"
            })
        ));
        assert!(matches!(
            check_sheet(10.0, 300.5),
            Err(LabelError::BadSide {
                field: "height_in_cm"
            })
        ));
    }

    #[test]
    fn points_follow_the_inch() {
        assert!((points(2.54) - 72.0).abs() < 1e-4);
    }
}
