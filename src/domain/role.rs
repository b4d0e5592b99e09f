//! The roles of staff API keys (SPEC §4): `sales` works leads, `admin` also manages keys,
//! exports and personal data.

super::code::codes! {
    /// A key's role (`api_keys.role`).
    pub enum Role {
        Sales = "sales", "销售";
        Admin = "admin", "管理员";
    }
}

impl Role {
    /// Admin may do everything sales may do.
    pub fn allows(self, required: Role) -> bool {
        self == Role::Admin || self == required
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_do_what_sales_may() {
        assert!(Role::Admin.allows(Role::Sales));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Sales.allows(Role::Sales));
        assert!(!Role::Sales.allows(Role::Admin));
        crate::domain::code::assert_codes_agree(Role::ALL, Role::as_str);
    }
}
