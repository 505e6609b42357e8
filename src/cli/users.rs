//! `docflow admin user …`: the users of an organisation.

use clap::Subcommand;
use docflow::domain::{Role, Roles};
use docflow::service::console::{self, Console};
use docflow::service::{admin, Actor, ServiceError};

use super::output::{self, say};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user in an organisation.
    Add {
        /// Organisation code.
        #[arg(long)]
        org: String,
        /// Login: lower-case Latin letters, digits, '.', '-', '_'.
        #[arg(long)]
        login: String,
        /// Full name, in any script.
        #[arg(long)]
        name: String,
        /// Position, in any script.
        #[arg(long)]
        position: String,
        /// Role: admin, registrar, approver, executor, auditor or head.
        /// Repeat the flag or separate with commas.
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Department, in any script (used by execution reports).
        #[arg(long)]
        department: Option<String>,
        /// Succeed, changing nothing, if this user exists already with the
        /// same organisation, name, position, roles and department.
        #[arg(long)]
        if_not_exists: bool,
    },
    /// List the users of an organisation.
    List {
        /// Organisation code.
        #[arg(long)]
        org: String,
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
    },
}

fn roles(names: &[String]) -> Result<Roles, ServiceError> {
    let parsed = names
        .iter()
        .map(|n| Role::parse(n.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Roles::new(parsed)?)
}

pub fn run(console: &mut Console, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            org,
            login,
            name,
            position,
            roles: role_names,
            department,
            if_not_exists,
        } => {
            let new = admin::NewUser {
                org_code: &org,
                login: &login,
                full_name: &name,
                position: &position,
                roles: roles(&role_names)?,
                department: department.as_deref(),
            };
            let actor = Actor::Operator;
            let (user, org, created) = if if_not_exists {
                console.write(|tx| console::add_user_if_new(tx, &actor, new))?
            } else {
                let (user, org) = console.write(|tx| admin::add_user(tx, &actor, new))?;
                (user.into(), org.code, true)
            };
            let what = if created { "created in" } else { "exists in" };
            say!(
                "user {} {what} {org}: {}, {} [{}] ({}){}",
                user.login,
                user.full_name,
                user.position,
                user.roles.join(","),
                user.id,
                if created { "" } else { "; nothing changed" }
            );
        }
        UserCommand::List { org, json } => {
            let users = console.users(&org)?;
            if json {
                return output::json(&users);
            }
            for u in users {
                say!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.login,
                    u.roles.join(","),
                    u.id,
                    u.full_name,
                    u.position
                );
            }
        }
    }
    Ok(())
}
