import GRDB
import TitanModel

enum StorePlaceholder {}
