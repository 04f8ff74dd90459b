//! Text matching shared by the lists' filters: LIKE patterns where what the user typed is
//! matched literally (a `%` or `_` is not a wildcard), and the case-insensitive "contains".

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};

/// A LIKE pattern matching `text` literally between `before` and `after` (`%` or nothing).
pub(crate) fn like(before: &str, text: &str, after: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push_str(before);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push_str(after);
    LikeExpr::new(escaped).escape('\\')
}

/// A LIKE pattern matching `text` literally anywhere.
pub(crate) fn contains(text: &str) -> LikeExpr {
    like("%", text, "%")
}

/// `column` contains `text`, without regard to case. Both sides are lowered: SQLite's
/// `lower` folds ASCII letters only, so accented capitals match only as typed there.
pub(crate) fn contains_ignoring_case(
    column: impl sea_orm::IntoSimpleExpr,
    text: &str,
) -> SimpleExpr {
    Expr::expr(Func::lower(column.into_simple_expr())).like(contains(&text.to_lowercase()))
}
