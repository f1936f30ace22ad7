//! The life cycle of an order, in one place: which status may follow which.
//! Every change of an order's status (cancelling and shipping here, paying
//! in `payments`) goes through [`check`], so no other code decides.

use sea_orm::ActiveEnum;

pub use entity::orders::OrderStatus;

use crate::error::AppError;

/// Whether an order may move from `from` to `to`: a PENDING order is paid or
/// cancelled, a PAID one shipped or cancelled; SHIPPED and CANCELLED are
/// final, and nothing returns to PENDING (orders are placed PENDING).
pub fn allows(from: OrderStatus, to: OrderStatus) -> bool {
    use OrderStatus::{Cancelled, Paid, Pending, Shipped};
    matches!(
        (from, to),
        (Pending, Paid) | (Pending, Cancelled) | (Paid, Shipped) | (Paid, Cancelled)
    )
}

/// `Ok` when the order may move from `from` to `to`, else the CONFLICT of
/// [`refused`].
pub fn check(from: OrderStatus, to: OrderStatus) -> Result<(), AppError> {
    if allows(from, to) {
        Ok(())
    } else {
        Err(refused(from, to))
    }
}

/// The CONFLICT for not moving an order from `from` to `to`, worded by what
/// was asked: paying, cancelling or shipping.
pub fn refused(from: OrderStatus, to: OrderStatus) -> AppError {
    let from = from.to_value();
    let message = match to {
        OrderStatus::Paid => format!("a {from} order cannot be paid"),
        OrderStatus::Cancelled => format!("a {from} order cannot be cancelled"),
        OrderStatus::Shipped => format!("only PAID orders ship; this one is {from}"),
        OrderStatus::Pending => format!("a {from} order cannot return to PENDING"),
    };
    AppError::Conflict {
        field: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn the_transition_table_allows_exactly_the_life_cycle() {
        use OrderStatus::{Cancelled, Paid, Pending, Shipped};
        // Rows: from; columns: to, in the order PENDING, PAID, SHIPPED, CANCELLED.
        let table = [
            (Pending, [false, true, false, true]),
            (Paid, [false, false, true, true]),
            (Shipped, [false, false, false, false]),
            (Cancelled, [false, false, false, false]),
        ];
        let statuses: Vec<OrderStatus> = OrderStatus::iter().collect();
        assert_eq!(statuses, [Pending, Paid, Shipped, Cancelled]);
        for (from, row) in table {
            for (to, expected) in statuses.iter().copied().zip(row) {
                assert_eq!(allows(from, to), expected, "{from:?} -> {to:?}");
                assert_eq!(check(from, to).is_ok(), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn a_refused_move_is_a_conflict_worded_by_what_was_asked() {
        let message = |from, to| match check(from, to) {
            Err(AppError::Conflict {
                field: None,
                message,
            }) => message,
            other => panic!("{from:?} -> {to:?}: {other:?}"),
        };
        use OrderStatus::{Cancelled, Paid, Pending, Shipped};
        assert_eq!(message(Paid, Paid), "a PAID order cannot be paid");
        assert_eq!(
            message(Shipped, Cancelled),
            "a SHIPPED order cannot be cancelled"
        );
        assert_eq!(
            message(Pending, Shipped),
            "only PAID orders ship; this one is PENDING"
        );
        assert_eq!(
            message(Cancelled, Pending),
            "a CANCELLED order cannot return to PENDING"
        );
    }
}
