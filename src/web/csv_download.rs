//! CSV files for download (the audit log, a bulk job's result): every cell defused for
//! spreadsheets, sent as an attachment.

use actix_web::HttpResponse;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use crate::error::AppResult;

/// A CSV being written; `row` adds a line, `download` sends it.
pub struct CsvFile(csv::Writer<Vec<u8>>);

impl CsvFile {
    pub fn new(header: &[&str]) -> AppResult<CsvFile> {
        let mut file = CsvFile(csv::Writer::from_writer(Vec::new()));
        file.row(header)?;
        Ok(file)
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> AppResult<()> {
        self.0
            .write_record(cells.iter().map(|c| spreadsheet_safe(c.as_ref())))
            .map_err(|e| anyhow::anyhow!("csv: {e}"))?;
        Ok(())
    }

    /// The file as an attachment called `name`.
    pub fn download(self, name: &str) -> AppResult<HttpResponse> {
        let body = self.0.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?;
        Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
            .body(body))
    }
}

/// What a formula can start with: OWASP's `=`, `+`, `-`, `@`, tab and CR; their fullwidth
/// forms, which spreadsheets with East Asian input normalise to the ASCII ones and then run
/// (issue 23); and `|`, which LibreOffice and older Excel read as a DDE call.
const FORMULA_STARTS: [char; 11] =
    ['=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', '|'];

/// A cell a spreadsheet will not run as a formula: text starting with one of
/// `FORMULA_STARTS` gets a leading apostrophe (OWASP's advice for CSV injection).
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) { format!("'{cell}") } else { cell.to_string() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("ana@fabrikam.example"), "ana@fabrikam.example");
    }

    #[test]
    fn fullwidth_signs_and_pipes_are_defused_too() {
        for cell in ["＝1+1", "＋1", "－1", "＠SUM(A1)", "|calc!A1", "=1", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(super::spreadsheet_safe(cell), format!("'{cell}"), "{cell:?}");
        }
        // Only the first character counts: signs inside the text stay as written.
        for cell in ["Ana ＝ Partner", "a|b", "x@fabrikam.example", "", "'quoted"] {
            assert_eq!(super::spreadsheet_safe(cell), cell, "{cell:?}");
        }
    }
}
