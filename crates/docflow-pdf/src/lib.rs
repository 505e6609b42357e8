//! Stamped PDFs for docflow.
//!
//! [`stamp`] appends exactly one PDF incremental update (ISO 32000-1 §7.5.6) to an
//! original document: visible stamp annotations, an appended approval sheet
//! ("Лист согласования / Kelishuv varaqasi") and an embedded evidence file. The
//! original bytes stay a byte-exact prefix, so earlier signatures and hashes of the
//! original keep verifying.
//!
//! [`check_revisions`] looks at everything after a known original length and
//! reports changes that go beyond what a stamping update may do;
//! [`check_later_revisions`] does the same after docflow's own stamp, where
//! nothing visible may be added either. Both fail closed: a later revision
//! that does not read cleanly, or that could read differently in another
//! reader, is a violation.
//!
//! The crate does no I/O: callers pass and receive bytes.

mod check;
mod draw;
mod font;
mod parse;
mod ser;
mod syntax;
mod update;

pub use check::{RevisionReport, RevisionSummary, Violation};

/// A visible stamp drawn at the bottom of one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stamp {
    /// 0-based page index.
    pub page: usize,
    /// Text lines; long lines are wrapped to fit the page.
    pub lines: Vec<String>,
    /// Text encoded as a QR code beside the lines.
    pub qr: Option<String>,
}

/// An approval sheet appended as new page(s) at the end of the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// The heading of every sheet page, in the organisation's language; empty
    /// means the bilingual "Лист согласования / Kelishuv varaqasi".
    pub heading: String,
    /// Printed under the heading on the first sheet page.
    pub title: String,
    /// Body lines; wrapped and paginated over as many pages as needed.
    pub lines: Vec<String>,
    /// QR code printed on the last sheet page.
    pub qr: Option<String>,
}

/// A file embedded in the document (`/EmbeddedFiles` name tree and catalog `/AF`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attachment {
    /// File name shown by viewers and used by [`attachment`] to find it again.
    pub name: String,
    /// MIME type, e.g. `application/json`.
    pub mime: String,
    /// Human readable description (`/Desc`).
    pub description: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// Errors of this crate. Inputs never cause a panic; they end up here.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The document is encrypted; stamping it would need its keys.
    #[error("the PDF is encrypted")]
    Encrypted,
    /// The bytes are not a PDF this crate can read.
    #[error("malformed PDF: {0}")]
    Malformed(String),
    /// A stamp names a page that does not exist.
    #[error("page {page} does not exist (the document has {count} pages)")]
    PageOutOfRange { page: usize, count: usize },
    /// `original_len` does not end a complete revision (`%%EOF`).
    #[error("the first {0} bytes are not a complete PDF revision")]
    NotARevision(usize),
    /// The request itself is unusable (e.g. empty attachment name, QR text too long).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The embedded font could not be read or subset.
    #[error("font error: {0}")]
    Font(String),
}

/// Appends one incremental update with the given stamps, optional approval sheet and
/// optional attachment. The result starts with `original` unchanged.
///
/// Errors: [`PdfError::Encrypted`] for encrypted input, [`PdfError::Malformed`] for
/// unreadable input, [`PdfError::PageOutOfRange`] for a stamp on a missing page.
pub fn stamp(
    original: &[u8],
    stamps: &[Stamp],
    sheet: Option<&Sheet>,
    attachment: Option<&Attachment>,
) -> Result<Vec<u8>, PdfError> {
    update::stamp(original, stamps, sheet, attachment)
}

/// Checks the revisions that follow the first `original_len` bytes of `pdf` and reports
/// every change a stamping update is not allowed to make.
///
/// The caller is expected to compare a hash of `pdf[..original_len]` with the hash it
/// stored for the original; this function checks only what comes after.
///
/// It fails closed. Every later revision is read by this crate's own
/// cross-reference reader, on top of the prefix, with no fallback: a
/// revision whose cross-reference does not read, or whose /Prev does not
/// name the revision before it, is a [`Violation`]. So is every object its
/// cross-reference defines that is not at its offset, with its number, in
/// syntax no reader needs to recover from (stray tokens, bad strings, an
/// unclosed dictionary, a duplicate key, a stream not ending at its
/// /Length); every `N G obj` header after the prefix that no
/// cross-reference points at (a reconstructing reader such as poppler may
/// use it); every object of a later revision that lopdf's full load of the
/// whole file reads differently, or a full load that fails; and bytes after
/// the last `%%EOF`.
///
/// Errors: [`PdfError::NotARevision`] when `original_len` does not end a
/// revision, [`PdfError::Encrypted`] or [`PdfError::Malformed`] when the
/// prefix itself does not read.
pub fn check_revisions(pdf: &[u8], original_len: usize) -> Result<RevisionReport, PdfError> {
    check::check_revisions(pdf, original_len, check::Rules::Stamping)
}

/// Checks the revisions that follow docflow's stamp, which ends at
/// `stamped_len` (the caller has regenerated `pdf[..stamped_len]` byte for
/// byte), with a stricter table: everything [`check_revisions`] checks,
/// and no visible content may be added, since nobody signed it. A new page
/// (appended to a page tree's /Kids) or an annotation appended to an
/// existing page's /Annots is a [`Violation`] ("adds visible content nobody
/// signed: annotation 25 0 R on page 3 0 R"), except a signature field's
/// widget (/Subtype /Widget with /FT /Sig on it or a parent field) that is
/// not shown: its /Rect has zero area, or its /F has the Hidden (bit 2) or
/// NoView (bit 6) flag. Nor may an embedded file (such as the evidence) be
/// removed or replaced: "removes or replaces the embedded file \"NAME\"".
///
/// The full lopdf load this (like [`check_revisions`]) compares with costs
/// time in proportion to the file's size.
///
/// [`RevisionReport::per_revision`] describes each later revision.
/// Errors as for [`check_revisions`].
pub fn check_later_revisions(pdf: &[u8], stamped_len: usize) -> Result<RevisionReport, PdfError> {
    check::check_revisions(pdf, stamped_len, check::Rules::AfterStamp)
}

/// Returns the bytes of the embedded file called `name`, if there is one.
pub fn attachment(pdf: &[u8], name: &str) -> Result<Option<Vec<u8>>, PdfError> {
    check::attachment(pdf, name)
}

/// Whether `pdf` is read lazily (its cross-reference chain parsed, objects
/// loaded on demand) rather than by the full-load fallback. For tests and
/// benchmarks: the lazy path is what keeps stamping cost independent of
/// the original's size.
#[doc(hidden)]
pub fn reads_lazily(pdf: &[u8]) -> bool {
    matches!(
        parse::Loaded::open(pdf, parse::STRUCTURE),
        Ok(parse::Loaded::Lazy(_))
    )
}
